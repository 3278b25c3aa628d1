import type { Logger } from '../log.js';
import { applyPlan, type AppliedWrite } from './apply.js';
import type { IpvsClient } from './client.js';
import { planTable, type DesiredService, type DiffOptions, type DrainState, type OwnedSet, type Plan } from './diff.js';

export interface ReconcileResult {
  plan: Plan;
  applied: AppliedWrite[];
}

/**
 * One pass: dump the whole table without stats (one service dump plus one destination dump per service),
 * diff it against the desired services in memory, and apply only the difference. Keep the
 * returned plan.drain for the next pass.
 */
export async function reconcileTable(
  client: Pick<IpvsClient, 'dumpTable' | 'execute'>,
  desired: readonly DesiredService[],
  owned: OwnedSet,
  drain: DrainState,
  options: DiffOptions & { now?: number },
  logger: Logger,
): Promise<ReconcileResult> {
  const actual = await client.dumpTable({ stats: false });
  const plan = planTable(desired, actual, owned, drain, options.now ?? Date.now(), options);
  const applied = await applyPlan(client, plan.writes, logger);
  return { plan, applied };
}
