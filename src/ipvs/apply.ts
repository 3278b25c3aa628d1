import type { Logger } from '../log.js';
import { writeTarget, type IpvsWrite } from './commands.js';
import { serviceId, type PlannedWrite } from './diff.js';
import { IpvsError, IpvsSkippedError } from './errors.js';
import type { WriteResult } from './client.js';

/** The part of IpvsClient that applying needs. */
export interface WriteExecutor {
  execute(writes: IpvsWrite[]): Promise<WriteResult[]>;
}

export interface AppliedWrite {
  write: PlannedWrite;
  error?: Error;
}

/**
 * Executes planned writes and reports each outcome; one failure never stops the others.
 * Service creations and changes go first, as one pipelined batch; then everything else,
 * except the destinations of services whose creation failed, which are reported as skipped.
 */
export async function applyPlan(executor: WriteExecutor, writes: readonly PlannedWrite[], logger: Logger): Promise<AppliedWrite[]> {
  const isServiceSetup = (write: PlannedWrite): boolean => write.kind === 'add-service' || write.kind === 'update-service';
  const first = writes.filter(isServiceSetup);
  const firstResults = await executor.execute(first);
  const failedCreations = new Map<string, Error>();
  firstResults.forEach((result, i) => {
    const write = first[i] as PlannedWrite;
    if (result.error && write.kind === 'add-service') failedCreations.set(serviceId(write.service), result.error);
  });

  const outcome = new Map<PlannedWrite, Error | undefined>(first.map((write, i) => [write, firstResults[i]?.error]));
  const second: PlannedWrite[] = [];
  for (const write of writes) {
    if (isServiceSetup(write)) continue;
    const blocker = write.kind !== 'delete-service' ? failedCreations.get(serviceId(write.service)) : undefined;
    if (blocker) outcome.set(write, new IpvsSkippedError(`${write.kind} ${writeTarget(write)}: skipped, the service could not be created (${blocker.message})`));
    else second.push(write);
  }
  const secondResults = await executor.execute(second);
  second.forEach((write, i) => outcome.set(write, secondResults[i]?.error));

  const applied = writes.map((write) => {
    const error = outcome.get(write);
    return error ? { write, error } : { write };
  });
  for (const { write, error } of applied) {
    if (!error) continue;
    const kernel = error instanceof IpvsError ? { errno: error.errno, code: error.code, errorReason: error.reason } : {};
    logger.warn({ operation: write.kind, target: writeTarget(write), why: write.reason, error: error.message, ...kernel }, 'ipvs write failed');
  }
  const failed = applied.filter((a) => a.error).length;
  // A converged pass writes nothing: not worth a line at info on every pass.
  logger[writes.length > 0 ? 'info' : 'debug']({ writes: writes.length, failed }, 'ipvs writes applied');
  return applied;
}
