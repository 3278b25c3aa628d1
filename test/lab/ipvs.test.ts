// tsvs's IPVS client, diff and apply against the real kernel of the lab, cross-checked with
// ipvsadm both ways. One VM runs test/lab/guest/ipvs.sh; the tests assert on what it reported.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { serviceId } from '../../src/ipvs/diff.js';
import { labTable } from './guest/ipvsTable.js';
import { repoRoot, runInLab, type LabRun } from './lab.js';

const outcome = z.object({ ok: z.boolean(), name: z.string().optional(), reason: z.string().optional(), code: z.string().optional(), operation: z.string().optional(), message: z.string().optional() });
const entry = z.looseObject({ protocol: z.string(), destinations: z.array(z.looseObject({ address: z.string(), port: z.number() })) });
const pass = z.object({ writes: z.array(z.string()), failed: z.array(z.string()), table: z.array(entry) });
const counters = z.object({ connections: z.string(), packetsIn: z.string(), packetsOut: z.string() });
const cmd = z.object({ exitCode: z.number(), output: z.string() });
const schemas = {
  info: z.object({ info: z.object({ version: z.string(), versionCode: z.number(), connectionTableSize: z.number() }), ipvsadm: z.string() }),
  errors: z.object({ errors: z.record(z.string(), outcome) }),
  batch: z.object({ results: z.array(z.string()), weight: z.number() }),
  'write-table': z.object({ writes: z.number(), failures: z.array(z.string()) }),
  'dump-ours': z.object({ table: z.array(entry) }),
  'dump-theirs': z.object({ table: z.array(entry) }),
  'single-gets': z.object({ services: z.array(z.string()) }),
  edited: z.object({ ipvsadm: z.string() }),
  timeouts: z.object({ before: z.unknown(), set: z.unknown(), ipvsadm: z.string(), partial: z.unknown(), restored: z.unknown() }),
  daemon: z.object({
    start: outcome,
    startAgain: outcome,
    oursListed: z.array(z.unknown()),
    ipvsadmSeesOurs: z.string(),
    stop: outcome,
    stopAgain: outcome,
    ipvsadmAfterStop: z.string(),
    ipvsadmStart: z.object({ status: z.number().nullable(), output: z.string() }),
    weSeeIpvsadms: z.array(z.unknown()),
    stopIpvsadms: outcome,
    listedAfter: z.array(z.unknown()),
  }),
  'sn-ours': cmd,
  'sn-theirs': cmd,
  'thresholds-ours': cmd,
  'thresholds-theirs': cmd,
  converge: z.object({ first: pass, again: pass, second: pass, third: pass, scoped: z.object({ writes: z.array(z.string()), failed: z.array(z.string()), ipvsadm: z.string() }), removed: pass, foreignBefore: z.string(), foreignAfter: z.string(), v1: z.array(z.unknown()), v2: z.array(z.unknown()) }),
  dr: z.object({ answers: z.array(z.string()), service: counters, counters: z.array(counters.extend({ address: z.string() })), zeroedConnections: z.string(), ipvsadm: z.string() }),
};

/** A table as comparable data: services sorted by identity, their destinations by address and port. */
function normalized(table: unknown[]): unknown[] {
  const services = table.map((raw) => {
    const { destinations, ...service } = raw as { destinations: Array<{ address: string; port: number }> } & Record<string, unknown>;
    return { ...service, destinations: [...destinations].sort((a, b) => `${a.address}/${a.port}`.localeCompare(`${b.address}/${b.port}`)) };
  });
  return services.sort((a, b) => serviceId(a as never).localeCompare(serviceId(b as never)));
}

const expectedTable = normalized(labTable.map(({ service, destinations }) => ({ ...service, destinations })));

describe('IPVS over generic netlink, on a real kernel', () => {
  let run: LabRun;
  const result = <K extends keyof typeof schemas>(name: K): z.infer<(typeof schemas)[K]> => {
    const found = run.results.find((r) => (r as { name?: unknown }).name === name);
    if (!found) throw new Error(`guest reported no ${name} result; output:\n${run.output.slice(-6000)}`);
    return schemas[name].parse(found) as z.infer<(typeof schemas)[K]>;
  };

  beforeAll(async () => {
    run = await runInLab(`${repoRoot}/test/lab/guest/ipvs.sh`, { timeoutMs: 900_000 });
  });

  it('runs the guest script to the end', () => {
    expect(run.exitCode, run.output.slice(-6000)).toBe(0);
  });

  it('resolves the family and reads the version and connection table size ipvsadm shows', () => {
    const { info, ipvsadm } = result('info');
    expect(ipvsadm).toBe(`IP Virtual Server version ${info.version} (size=${info.connectionTableSize})`);
    expect(info.versionCode).toBe(0x010201);
  });

  describe('the lab table: every kind of service and real server', () => {
    it('is written by one pipelined batch without a failure', () => {
      expect(result('write-table')).toEqual({ writes: 19, failures: [] });
    });

    it('looks to ipvsadm -Sn exactly as the same table written by ipvsadm -R', () => {
      const ours = result('sn-ours');
      const theirs = result('sn-theirs');
      expect(theirs.exitCode).toBe(0);
      expect(ours.output).toBe(theirs.output);
      // And the rules file says what was meant: ipvsadm prints each of its lines (sorted, with ipip spelled out).
      const rules = readFileSync(`${repoRoot}/test/lab/guest/ipvs-table.rules`, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => line.replace(/ -x \d+ -y \d+$/, '').replace(/^(-a .* -i -w \d+)$/, '$1 --tun-type ipip'));
      expect([...ours.output.split('\n')].sort()).toEqual([...rules].sort());
    });

    it('has the thresholds ipvsadm -R sets (ipvsadm -Ln --thresholds)', () => {
      const ours = result('thresholds-ours').output;
      expect(ours).toBe(result('thresholds-theirs').output);
      expect(ours).toMatch(/-> 10\.20\.0\.2:80\s+100\s+10\s/);
      expect(ours).toMatch(/-> \[2001:db8::21\]:8080\s+50\s+5\s/);
    });

    it('dumps back to the typed objects it was written from', () => {
      expect(normalized(result('dump-ours').table)).toEqual(expectedTable);
    });

    it('parses the table ipvsadm -R wrote into the same typed objects', () => {
      expect(normalized(result('dump-theirs').table)).toEqual(expectedTable);
    });

    it('gets each service on its own', () => {
      expect(result('single-gets').services).toEqual(labTable.map(({ service }) => service.scheduler));
    });

    it('edits a service and a real server in place, as ipvsadm then shows', () => {
      const lines = result('edited').ipvsadm.split('\n');
      expect(lines).toContain('-A -t 10.10.0.1:80 -s wlc -p 120 -M 255.255.0.0');
      expect(lines).toContain('-a -t 10.10.0.1:80 -r 10.20.0.1:80 -i -w 7 --tun-type gue --tun-port 7000 --tun-csum');
    });
  });

  describe('errors', () => {
    const errors = (): Record<string, z.infer<typeof outcome>> => result('errors').errors;

    it.each([
      ['duplicateService', 'add-service', 'service-exists', 'EEXIST'],
      ['missingService', 'delete-service', 'service-missing', 'ESRCH'],
      ['getMissingService', 'get-service', 'service-missing', 'ESRCH'],
      ['unknownScheduler', 'add-service', 'scheduler-or-engine-missing', 'ENOENT'],
      ['destinationOfMissingService', 'add-destination', 'service-missing', 'ESRCH'],
      ['duplicateDestination', 'add-destination', 'destination-exists', 'EEXIST'],
      ['missingDestination', 'update-destination', 'destination-missing', 'ENOENT'],
      ['thresholdsOutOfRange', 'update-destination', 'out-of-range', 'ERANGE'],
      ['gueWithoutPort', 'add-destination', 'invalid-argument', 'EINVAL'],
      ['mixedFamilyDr', 'add-destination', 'invalid-argument', 'EINVAL'],
    ])('%s: %s fails with a typed %s error (%s) naming the object', (key, operation, reason, code) => {
      const error = errors()[key];
      expect(error).toMatchObject({ ok: false, name: 'IpvsError', operation, reason, code });
      expect(error?.message).toMatch(/^[a-z-]+ (tcp|udp|sctp|fwmark) /);
    });

    it('lists no real servers of a missing service, without an error', () => {
      expect(errors().missingDestinationsList).toEqual({ ok: true });
    });

    it('reports each failure of a pipelined batch and applies the rest', () => {
      expect(result('batch')).toEqual({ results: ['ok', 'destination-missing', 'scheduler-or-engine-missing', 'ok', 'ok'], weight: 9 });
    });
  });

  it('sets and reads the connection timeouts as ipvsadm shows them; 0 leaves one unchanged', () => {
    const timeouts = result('timeouts');
    expect(timeouts.set).toEqual({ tcp: 7200, tcpFin: 60, udp: 120 });
    expect(timeouts.ipvsadm).toBe('Timeout (tcp tcpfin udp): 7200 60 120');
    expect(timeouts.partial).toEqual({ tcp: 7200, tcpFin: 60, udp: 45 });
    expect(timeouts.restored).toEqual(timeouts.before);
  });

  it('starts, lists and stops the sync daemon, agreeing with ipvsadm --start-daemon and -L --daemon', () => {
    const daemon = result('daemon');
    expect(daemon.start).toEqual({ ok: true });
    expect(daemon.startAgain).toMatchObject({ ok: false, reason: 'daemon-running', code: 'EEXIST' });
    expect(daemon.oursListed).toEqual([{ role: 'master', interface: 'sync0', syncId: 5, maxLength: 1472, port: 8848, ttl: 1, group: '224.0.0.81' }]);
    expect(daemon.ipvsadmSeesOurs).toMatch(/^master sync daemon \(mcast=sync0, syncid=5\b/);
    expect(daemon.stop).toEqual({ ok: true });
    expect(daemon.stopAgain).toMatchObject({ ok: false, reason: 'daemon-not-running', code: 'ESRCH' });
    expect(daemon.ipvsadmAfterStop).toBe('');
    expect(daemon.ipvsadmStart.status).toBe(0);
    expect(daemon.weSeeIpvsadms).toMatchObject([{ role: 'backup', interface: 'sync0', syncId: 9 }]);
    expect(daemon.stopIpvsadms).toEqual({ ok: true });
    expect(daemon.listedAfter).toEqual([]);
  });

  describe('diff and apply against the kernel', () => {
    it('converges in one pass and then writes nothing', () => {
      const { first, again, v1 } = result('converge');
      expect(first.failed).toEqual([]);
      expect(normalized(first.table)).toEqual(normalized(v1.map((d) => ({ ...(d as { service: object }).service, destinations: (d as { destinations: unknown[] }).destinations }))));
      expect(again.writes).toEqual([]);
    });

    it('edits in place and adds or removes only what changed', () => {
      const { second, third, v2 } = result('converge');
      expect(second.writes).toEqual([
        'update-service:service-changed',
        'update-destination:destination-changed',
        'add-destination:new-destination',
        'delete-destination:removed-idle',
        'delete-service:service-removed',
      ]);
      expect(second.failed).toEqual([]);
      expect(normalized(second.table)).toEqual(normalized(v2.map((d) => ({ ...(d as { service: object }).service, destinations: (d as { destinations: unknown[] }).destinations }))));
      expect(third.writes).toEqual([]);
    });

    it('reconciles one service on its own with only the writes it needs', () => {
      const { scoped } = result('converge');
      expect(scoped).toMatchObject({ writes: ['update-destination:destination-changed'], failed: [] });
      expect(scoped.ipvsadm.split('\n')).toContain('-a -t 10.30.0.1:80 -r 10.31.0.1:80 -g -w 6');
    });

    it('deletes its own services when none is desired, and never touches the one ipvsadm created', () => {
      const { removed, foreignBefore, foreignAfter } = result('converge');
      expect(removed.writes).toEqual(['delete-service:service-removed', 'delete-service:service-removed']);
      expect(removed.table).toEqual([]);
      expect(foreignBefore).toBe('-A -t 10.99.0.1:80 -s rr\n-a -t 10.99.0.1:80 -r 10.98.0.1:80 -g -w 1\n');
      expect(foreignAfter).toBe(foreignBefore);
    });
  });

  it('carries real HTTP from a client to both real servers over a DR service it built, and counts it', () => {
    const dr = result('dr');
    expect(dr.answers).toHaveLength(8);
    expect(new Set(dr.answers)).toEqual(new Set(['hello from rs1', 'hello from rs2']));
    expect(Number(dr.service.connections)).toBe(8);
    expect(Number(dr.service.packetsIn)).toBeGreaterThan(8);
    // Direct routing: replies go from the real servers straight to the client, never through the director.
    expect(dr.service.packetsOut).toBe('0');
    for (const server of dr.counters) expect(Number(server.connections), server.address).toBeGreaterThan(0);
    expect(dr.zeroedConnections).toBe('0');
  });
});
