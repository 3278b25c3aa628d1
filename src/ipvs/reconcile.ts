import type { Logger } from '../log.js';
import { applyPlan, type AppliedWrite, type WriteExecutor } from './apply.js';
import type { IpvsClient } from './client.js';
import { planTable, serviceId, type ActualService, type DesiredService, type DiffOptions, type DrainState, type OwnedSet, type Plan } from './diff.js';
import { IpvsError } from './errors.js';
import type { DestinationState, ServiceConfig, ServiceKey } from './types.js';

export interface ReconcileResult {
  plan: Plan;
  applied: AppliedWrite[];
}

/**
 * One pass: dump the table without stats (one service dump plus one destination dump per owned service),
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
  // Foreign services are never touched, so their destinations are not even dumped.
  const desiredIds = new Set(desired.map((entry) => serviceId(entry.service)));
  const only = (service: ServiceKey): boolean =>
    desiredIds.has(serviceId(service)) || (service.protocol === 'fwmark' ? owned.fwmarks.has(service.fwmark) : owned.addresses.has(service.address));
  const actual = await client.dumpTable({ stats: false, only });
  const plan = planTable(desired, actual, owned, drain, options.now ?? Date.now(), options);
  const applied = await applyPlan(client, plan.writes, logger);
  return { plan, applied };
}

export interface ScopedReconcileResult extends ReconcileResult {
  /** The drain state for all services: the old entries outside the scope, the new ones inside. */
  drain: Map<string, { since: number }>;
}

/**
 * A pass over some services only, for an event that touched them: reads just those (a get and
 * a destination dump each) and writes only what differs, so one changed real server among
 * thousands of services costs two reads and one write. Services in `scope` that are not
 * desired are deleted; nothing outside `scope` is read or written.
 */
/** What a scoped pass reads (IpvsClient fits). */
export interface ServiceReader {
  getService(key: ServiceKey): Promise<ServiceConfig>;
  listDestinations(key: ServiceKey, options: { stats: false }): Promise<DestinationState[]>;
}

export async function reconcileServices(
  client: ServiceReader & WriteExecutor,
  scope: readonly ServiceKey[],
  desired: readonly DesiredService[],
  drain: DrainState,
  options: DiffOptions & { now?: number },
  logger: Logger,
): Promise<ScopedReconcileResult> {
  const inScope = new Set(scope.map(serviceId));
  const outside = desired.find((entry) => !inScope.has(serviceId(entry.service)));
  if (outside) throw new Error(`reconcileServices: desired service ${serviceId(outside.service)} is outside the scope`);
  const actual: ActualService[] = [];
  for (const key of scope) {
    let service: ServiceConfig;
    try {
      service = await client.getService(key);
    } catch (error) {
      if (error instanceof IpvsError && error.reason === 'service-missing') continue;
      throw error;
    }
    actual.push({ ...service, destinations: await client.listDestinations(key, { stats: false }) });
  }
  // Owning the scope's VIPs and marks owns no more than the scope: only its services were read.
  const owned: OwnedSet = {
    addresses: new Set(scope.flatMap((key) => (key.protocol === 'fwmark' ? [] : [key.address]))),
    fwmarks: new Set(scope.flatMap((key) => (key.protocol === 'fwmark' ? [key.fwmark] : []))),
  };
  const plan = planTable(desired, actual, owned, drain, options.now ?? Date.now(), options);
  const applied = await applyPlan(client, plan.writes, logger);
  const merged = new Map([...drain].filter(([key]) => !inScope.has(key.slice(0, key.indexOf(' ')))));
  for (const [key, entry] of plan.drain) merged.set(key, entry);
  return { plan, applied, drain: merged };
}
