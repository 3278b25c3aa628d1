import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WriteResult } from '../../../src/ipvs/client.js';
import type { IpvsWrite } from '../../../src/ipvs/commands.js';
import { serviceId, type DesiredService } from '../../../src/ipvs/diff.js';
import { IpvsError } from '../../../src/ipvs/errors.js';
import type { DestinationState, ServiceConfig, TableEntry, TableState } from '../../../src/ipvs/types.js';
import { IpvsTable } from '../../../src/speaker/ipvsTable.js';
import { ipvsStats, maglevService } from '../../support/ipvsFixtures.js';

const log = pino({ level: 'silent' });

/** IPVS in memory: services by id with their real servers; writes applied as the kernel would, some made to fail. */
class MemoryIpvs {
  readonly services = new Map<string, TableState>();
  failing = new Set<string>();
  /** Counters are all zero here. */
  async dumpTable(options: { stats?: boolean; only?: (service: ServiceConfig) => boolean } = {}): Promise<TableEntry[]> {
    return [...this.services.values()]
      .filter((s) => options.only?.(s) ?? true)
      .map((s) => ({ ...s, stats: ipvsStats(), destinations: s.destinations.map((d) => ({ ...d, stats: ipvsStats() })) }));
  }
  async execute(writes: IpvsWrite[]): Promise<WriteResult[]> {
    return writes.map((write) => {
      const id = serviceId(write.service);
      if (this.failing.has(id)) return { write, error: new IpvsError('add-service', id, 1) };
      const service = this.services.get(id);
      switch (write.kind) {
        case 'add-service':
        case 'update-service':
          this.services.set(id, { ...write.service, destinations: service?.destinations ?? [] });
          break;
        case 'delete-service':
          this.services.delete(id);
          break;
        case 'add-destination':
        case 'update-destination': {
          const live: DestinationState = { ...write.destination, activeConnections: 0, inactiveConnections: 0, persistentConnections: 0 };
          service!.destinations = [...service!.destinations.filter((d) => d.address !== live.address), live];
          break;
        }
        case 'delete-destination':
          service!.destinations = service!.destinations.filter((d) => d.address !== write.destination.address);
          break;
      }
      return { write };
    });
  }
}

const service = (address: string, port = 80): DesiredService => ({
  service: maglevService(address, port),
  destinations: [{ address: '10.0.1.5', port, forwarding: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0 }],
});

describe('IpvsTable', () => {
  let dir: string;
  let ipvs: MemoryIpvs;
  const open = async () => {
    const table = new IpvsTable(ipvs, { ownedFile: join(dir, 'state', 'ipvs-owned.json'), drainTimeoutMs: 1000 }, log);
    await table.load();
    return table;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsvs-ipvs-table-'));
    ipvs = new MemoryIpvs();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('programs the desired services and leaves services on other addresses alone', async () => {
    ipvs.services.set('tcp/192.0.2.99/80', { ...service('192.0.2.99').service, destinations: [] });
    const table = await open();
    const applied = await table.apply([service('192.0.2.10')], ['192.0.2.10']);
    expect(applied).toEqual({ writes: 2, failures: new Map(), draining: 0, vanished: [] });
    expect([...ipvs.services.keys()].sort()).toEqual(['tcp/192.0.2.10/80', 'tcp/192.0.2.99/80']);
    expect((await table.apply([service('192.0.2.10')], ['192.0.2.10'])).writes).toBe(0);
  });

  it('remembers the owned VIPs, so that the next run removes services a killed run left behind', async () => {
    const first = await open();
    await first.apply([service('192.0.2.10'), service('192.0.2.11')], ['192.0.2.10', '192.0.2.11']);
    expect(JSON.parse(readFileSync(join(dir, 'state', 'ipvs-owned.json'), 'utf8'))).toEqual(['192.0.2.10', '192.0.2.11']);
    // Killed; meanwhile 192.0.2.11 went away, so the next run does not own it any more.
    const second = await open();
    await second.apply([service('192.0.2.10')], ['192.0.2.10']);
    expect([...ipvs.services.keys()]).toEqual(['tcp/192.0.2.10/80']);
    expect(JSON.parse(readFileSync(join(dir, 'state', 'ipvs-owned.json'), 'utf8'))).toEqual(['192.0.2.10', '192.0.2.11']);
    await second.apply([service('192.0.2.10')], ['192.0.2.10']);
    expect(JSON.parse(readFileSync(join(dir, 'state', 'ipvs-owned.json'), 'utf8'))).toEqual(['192.0.2.10']);
  });

  it('ignores an unreadable state file', async () => {
    await open().then((t) => t.apply([], []));
    writeFileSync(join(dir, 'state', 'ipvs-owned.json'), '{not json');
    const table = await open();
    expect((await table.apply([service('192.0.2.10')], ['192.0.2.10'])).failures).toEqual(new Map());
  });

  it('reports failed services, and keeps leftovers owned until a pass succeeds', async () => {
    const first = await open();
    await first.apply([service('192.0.2.11')], ['192.0.2.11']);
    const second = await open();
    ipvs.failing.add('tcp/192.0.2.10/80');
    const failed = await second.apply([service('192.0.2.10')], ['192.0.2.10']);
    expect([...failed.failures.keys()]).toEqual(['tcp/192.0.2.10/80']);
    ipvs.services.set('tcp/192.0.2.11/80', { ...service('192.0.2.11').service, destinations: [] });
    ipvs.failing.clear();
    await second.apply([service('192.0.2.10')], ['192.0.2.10']);
    expect([...ipvs.services.keys()]).toEqual(['tcp/192.0.2.10/80']);
  });

  it('notices a service of its own that someone else deleted since the last pass', async () => {
    const table = await open();
    await table.apply([service('192.0.2.10'), service('192.0.2.10', 443)], ['192.0.2.10']);
    ipvs.services.delete('tcp/192.0.2.10/443');
    expect((await table.apply([service('192.0.2.10'), service('192.0.2.10', 443)], ['192.0.2.10'])).vanished).toEqual(['tcp/192.0.2.10/443']);
    expect((await table.apply([service('192.0.2.10'), service('192.0.2.10', 443)], ['192.0.2.10'])).vanished).toEqual([]);
  });
});
