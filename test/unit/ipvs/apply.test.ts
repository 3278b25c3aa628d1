import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { applyPlan, type WriteExecutor } from '../../../src/ipvs/apply.js';
import type { WriteResult } from '../../../src/ipvs/client.js';
import { writeTarget, type IpvsWrite } from '../../../src/ipvs/commands.js';
import type { PlannedWrite } from '../../../src/ipvs/diff.js';
import { IpvsError, IpvsSkippedError } from '../../../src/ipvs/errors.js';
import { roundRobinService } from '../../support/ipvsFixtures.js';

/** Records each batch and fails the writes whose "kind target" is listed, with the given errno. */
class RecordingExecutor implements WriteExecutor {
  readonly batches: string[][] = [];
  constructor(private readonly failures: Record<string, number> = {}) {}
  async execute(writes: IpvsWrite[]): Promise<WriteResult[]> {
    this.batches.push(writes.map((w) => `${w.kind} ${writeTarget(w)}`));
    return writes.map((write) => {
      const errno = this.failures[`${write.kind} ${writeTarget(write)}`];
      return errno ? { write, error: new IpvsError(write.kind, writeTarget(write), errno) } : { write };
    });
  }
}

const logged: Array<Record<string, unknown>> = [];
const logger = pino({ level: 'info' }, { write: (line: string) => logged.push(JSON.parse(line) as Record<string, unknown>) });

const svc = roundRobinService;
const key = (port: number) => ({ protocol: 'tcp' as const, address: '10.0.0.1', port });
const d = (address: string) => ({ address, port: 80, forwarding: 'dr' as const, weight: 1, upperThreshold: 0, lowerThreshold: 0 });

const writes: PlannedWrite[] = [
  { kind: 'add-service', service: svc(1), reason: 'new-service' },
  { kind: 'add-service', service: svc(2), reason: 'new-service' },
  { kind: 'update-service', service: svc(3), reason: 'service-changed' },
  { kind: 'add-destination', service: key(1), destination: d('10.1.0.1'), reason: 'new-destination' },
  { kind: 'add-destination', service: key(2), destination: d('10.1.0.1'), reason: 'new-destination' },
  { kind: 'update-destination', service: key(3), destination: d('10.1.0.1'), reason: 'destination-changed' },
  { kind: 'delete-destination', service: key(3), destination: { address: '10.1.0.9', port: 80 }, reason: 'drained' },
  { kind: 'delete-service', service: key(4), reason: 'service-removed' },
];

describe('applyPlan', () => {
  it('sends service setup first, then everything else, each as one batch, in plan order', async () => {
    const executor = new RecordingExecutor();
    const applied = await applyPlan(executor, writes, logger);
    expect(executor.batches).toEqual([
      ['add-service tcp 10.0.0.1:1', 'add-service tcp 10.0.0.1:2', 'update-service tcp 10.0.0.1:3'],
      [
        'add-destination tcp 10.0.0.1:1 -> 10.1.0.1:80',
        'add-destination tcp 10.0.0.1:2 -> 10.1.0.1:80',
        'update-destination tcp 10.0.0.1:3 -> 10.1.0.1:80',
        'delete-destination tcp 10.0.0.1:3 -> 10.1.0.9:80',
        'delete-service tcp 10.0.0.1:4',
      ],
    ]);
    expect(applied.every((a) => a.error === undefined)).toBe(true);
  });

  it('reports each failure and carries on with the rest; skips only the destinations of a service it could not create', async () => {
    logged.length = 0;
    const executor = new RecordingExecutor({ 'add-service tcp 10.0.0.1:2': 2, 'update-destination tcp 10.0.0.1:3 -> 10.1.0.1:80': 34 });
    const applied = await applyPlan(executor, writes, logger);
    const outcome = applied.map((a) => [a.write.kind, (a.write.service as { port: number }).port, a.error?.name ?? 'ok']);
    expect(outcome).toEqual([
      ['add-service', 1, 'ok'],
      ['add-service', 2, 'IpvsError'],
      ['update-service', 3, 'ok'],
      ['add-destination', 1, 'ok'],
      ['add-destination', 2, 'IpvsSkippedError'],
      ['update-destination', 3, 'IpvsError'],
      ['delete-destination', 3, 'ok'],
      ['delete-service', 4, 'ok'],
    ]);
    expect(executor.batches[1]).not.toContain('add-destination tcp 10.0.0.1:2 -> 10.1.0.1:80');
    expect((applied[1]?.error as IpvsError).reason).toBe('scheduler-or-engine-missing');
    expect(applied[4]?.error).toBeInstanceOf(IpvsSkippedError);
    expect(applied[4]?.error?.message).toContain('skipped, the service could not be created');
    const failures = logged.filter((line) => line.msg === 'ipvs write failed');
    expect(failures.map((line) => [line.operation, line.target, line.code ?? null])).toEqual([
      ['add-service', 'tcp 10.0.0.1:2', 'ENOENT'],
      ['add-destination', 'tcp 10.0.0.1:2 -> 10.1.0.1:80', null],
      ['update-destination', 'tcp 10.0.0.1:3 -> 10.1.0.1:80', 'ERANGE'],
    ]);
    expect(logged.find((line) => line.msg === 'ipvs writes applied')).toMatchObject({ writes: 8, failed: 3 });
  });

  it('does not skip destinations of a service whose in-place update failed (the service still exists)', async () => {
    const executor = new RecordingExecutor({ 'update-service tcp 10.0.0.1:3': 22 });
    const applied = await applyPlan(executor, writes, logger);
    expect(applied.filter((a) => a.error).map((a) => a.write.kind)).toEqual(['update-service']);
  });
});
