import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { WriteResult } from '../../../src/ipvs/client.js';
import { writeTarget, type IpvsWrite } from '../../../src/ipvs/commands.js';
import { drainKey, serviceId } from '../../../src/ipvs/diff.js';
import { IpvsError } from '../../../src/ipvs/errors.js';
import { reconcileServices } from '../../../src/ipvs/reconcile.js';
import { ipvsStats, roundRobinService } from '../../support/ipvsFixtures.js';
import type { DestinationConfig, DestinationState, ServiceConfig, ServiceEntry, ServiceKey } from '../../../src/ipvs/types.js';

const logger = pino({ level: 'silent' });
const svc = roundRobinService;
const d = (address: string, weight = 1): DestinationConfig => ({ address, port: 80, forwarding: 'dr', weight, upperThreshold: 0, lowerThreshold: 0 });

/** Services by id with their destinations; records which services were read and what was written. */
class TableClient {
  readonly reads: string[] = [];
  readonly writes: string[] = [];
  constructor(private readonly table: Map<string, { service: ServiceConfig; destinations: DestinationState[] }>) {}
  async getService(key: ServiceKey): Promise<ServiceEntry> {
    this.reads.push(`get ${serviceId(key)}`);
    const found = this.table.get(serviceId(key));
    if (!found) throw new IpvsError('get-service', serviceId(key), 3);
    return { ...found.service, stats: ipvsStats() };
  }
  async listDestinations(key: ServiceKey): Promise<DestinationState[]> {
    this.reads.push(`dests ${serviceId(key)}`);
    return this.table.get(serviceId(key))?.destinations ?? [];
  }
  async execute(writes: IpvsWrite[]): Promise<WriteResult[]> {
    this.writes.push(...writes.map((w) => `${w.kind} ${writeTarget(w)}`));
    return writes.map((write) => ({ write }));
  }
}

const live = (dest: DestinationConfig, active = 0): DestinationState => ({ ...dest, activeConnections: active, inactiveConnections: 0, persistentConnections: 0 });

describe('reconcileServices', () => {
  const table = (): Map<string, { service: ServiceConfig; destinations: DestinationState[] }> =>
    new Map([
      [serviceId(svc(1)), { service: svc(1), destinations: [live(d('10.1.0.1')), live(d('10.1.0.2'), 3)] }],
      [serviceId(svc(2)), { service: svc(2), destinations: [live(d('10.1.0.1'))] }],
      [serviceId(svc(3)), { service: svc(3), destinations: [] }],
    ]);

  it('reads only the services in scope and writes only what changed there', async () => {
    const client = new TableClient(table());
    const { plan } = await reconcileServices(client, [svc(2)], [{ service: svc(2), destinations: [d('10.1.0.1', 5)] }], new Map(), { drainTimeoutMs: 1000, now: 0 }, logger);
    expect(client.reads).toEqual(['get tcp/10.0.0.1/2', 'dests tcp/10.0.0.1/2']);
    expect(client.writes).toEqual(['update-destination tcp 10.0.0.1:2 -> 10.1.0.1:80']);
    expect(plan.writes).toHaveLength(1);
  });

  it('creates a scoped service that is missing, and deletes a scoped one that is not desired', async () => {
    const client = new TableClient(table());
    await reconcileServices(client, [svc(3), svc(9)], [{ service: svc(9), destinations: [d('10.1.0.7')] }], new Map(), { drainTimeoutMs: 1000, now: 0 }, logger);
    expect(client.writes).toEqual(['add-service tcp 10.0.0.1:9', 'add-destination tcp 10.0.0.1:9 -> 10.1.0.7:80', 'delete-service tcp 10.0.0.1:3']);
  });

  it('keeps the drain state of services outside the scope and replaces it inside', async () => {
    const client = new TableClient(table());
    const outside = drainKey(svc(2), d('10.1.0.9'));
    const stale = drainKey(svc(1), d('10.1.0.8'));
    const { drain, plan } = await reconcileServices(
      client,
      [svc(1)],
      [{ service: svc(1), destinations: [d('10.1.0.1')] }],
      new Map([
        [outside, { since: 5 }],
        [stale, { since: 5 }],
      ]),
      { drainTimeoutMs: 1000, now: 100 },
      logger,
    );
    expect(plan.writes.map((w) => w.reason)).toEqual(['drain-start']);
    expect([...drain]).toEqual([
      [outside, { since: 5 }],
      [drainKey(svc(1), d('10.1.0.2')), { since: 100 }],
    ]);
  });

  it('refuses desired services outside the scope', async () => {
    await expect(reconcileServices(new TableClient(table()), [svc(1)], [{ service: svc(2), destinations: [] }], new Map(), { drainTimeoutMs: 1 }, logger)).rejects.toThrow('outside the scope');
  });
});
