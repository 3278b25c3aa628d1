// Lab guest program of test/lab/ipvs.test.ts, run by test/lab/guest/ipvs.sh inside one network
// namespace per mode. It drives tsvs's IPVS client against the real kernel, runs ipvsadm in the
// same namespace to see what the kernel holds, and reports everything as LAB_RESULT lines
// (bigints as strings); the test asserts on them.
//   write-table  every operation on services and real servers, the lab table, errors, timeouts,
//                the sync daemon both ways, info
//   dump NAME    our dump of whatever the namespace holds (ipvsadm wrote it)
//   converge     reconcileTable against a table that also holds a service ipvsadm created, and
//                reconcileServices scoped to one service
//   dr           a DR service built by the client carrying HTTP from namespace "client" to
//                real servers "rs1" and "rs2", its counters, and zeroing them
import { spawnSync } from 'node:child_process';
import { pino } from 'pino';
import { IpvsClient } from '../../../src/ipvs/client.js';
import { IpvsError } from '../../../src/ipvs/errors.js';
import { reconcileServices, reconcileTable } from '../../../src/ipvs/reconcile.js';
import type { DesiredService } from '../../../src/ipvs/diff.js';
import type { DestinationConfig, ServiceConfig, TableEntry } from '../../../src/ipvs/types.js';
import { labTable } from './ipvsTable.js';

const logger = pino({ level: 'warn' }, pino.destination(2));
const report = (name: string, data: Record<string, unknown>): void =>
  void process.stdout.write(`LAB_RESULT ${JSON.stringify({ name, ...data }, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}\n`);

function sh(command: string, args: string[], input?: string): { status: number | null; output: string } {
  const result = spawnSync(command, args, { input, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The dump without counters, for comparing configurations. */
const withoutStats = (table: TableEntry[]): unknown =>
  table.map(({ stats: _stats, destinations, ...service }) => ({
    ...service,
    destinations: destinations.map(({ stats: _s, activeConnections: _a, inactiveConnections: _i, persistentConnections: _p, ...d }) => d),
  }));

async function outcome(action: () => Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await action();
    return { ok: true };
  } catch (error) {
    if (error instanceof IpvsError) return { ok: false, name: error.name, reason: error.reason, code: error.code, operation: error.operation, message: error.message };
    return { ok: false, name: (error as Error).name, message: (error as Error).message };
  }
}

const svc = (over: Partial<ServiceConfig>): ServiceConfig => {
  const settings = { scheduler: 'rr', schedulerFlags: { flag1: false, flag2: false, flag3: false }, persistent: false, persistenceTimeout: 0, netmask: 32, onePacket: false };
  return (over.protocol === 'fwmark' ? { ...settings, ...over } : { protocol: 'tcp', address: '10.77.0.1', port: 80, ...settings, ...over }) as ServiceConfig;
};
const dest = (address: string, over: Partial<DestinationConfig> = {}): DestinationConfig => ({ address, port: 80, forwarding: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0, ...over });

async function writeTable(client: IpvsClient): Promise<void> {
  report('info', { info: await client.info(), ipvsadm: sh('ipvsadm', ['-Ln']).output.split('\n')[0] });

  // Errors, on services outside the lab table (removed again before the table is written).
  const a = svc({});
  const errors: Record<string, Record<string, unknown>> = {};
  errors.add = await outcome(() => client.addService(a));
  errors.duplicateService = await outcome(() => client.addService(a));
  errors.missingService = await outcome(() => client.deleteService(svc({ port: 81 })));
  errors.getMissingService = await outcome(() => client.getService(svc({ port: 81 })));
  errors.unknownScheduler = await outcome(() => client.addService(svc({ port: 82, scheduler: 'nosuchsched' })));
  errors.destinationOfMissingService = await outcome(() => client.addDestination(svc({ port: 81 }), dest('10.78.0.1')));
  errors.addDestination = await outcome(() => client.addDestination(a, dest('10.78.0.1')));
  errors.duplicateDestination = await outcome(() => client.addDestination(a, dest('10.78.0.1')));
  errors.missingDestination = await outcome(() => client.updateDestination(a, dest('10.78.0.2')));
  errors.thresholdsOutOfRange = await outcome(() => client.updateDestination(a, dest('10.78.0.1', { upperThreshold: 5, lowerThreshold: 10 })));
  errors.gueWithoutPort = await outcome(() => client.addDestination(a, dest('10.78.0.3', { forwarding: 'tunnel', tunnel: { type: 'gue', port: 0, checksum: false, remoteChecksum: false } })));
  errors.mixedFamilyDr = await outcome(() => client.addDestination(a, dest('2001:db8::99')));
  errors.missingDestinationsList = await outcome(async () => {
    if ((await client.listDestinations(svc({ port: 81 }))).length !== 0) throw new Error('destinations listed for a missing service');
  });
  const batch = await client.execute([
    { kind: 'update-destination', service: a, destination: dest('10.78.0.1', { weight: 9 }) },
    { kind: 'delete-destination', service: a, destination: { address: '10.78.0.9', port: 80 } },
    { kind: 'add-service', service: svc({ port: 83, scheduler: 'nosuchsched' }) },
    { kind: 'add-service', service: svc({ port: 84 }) },
    { kind: 'delete-service', service: svc({ port: 84 }) },
  ]);
  report('batch', { results: batch.map((r) => (r.error instanceof IpvsError ? r.error.reason : r.error ? r.error.name : 'ok')), weight: (await client.listDestinations(a))[0]?.weight });
  errors.cleanup = await outcome(() => client.deleteService(a));
  report('errors', { errors });

  // The lab table, pipelined in one batch; then what ipvsadm and our dump see.
  const writes = labTable.flatMap(({ service, destinations }) => [
    { kind: 'add-service' as const, service },
    ...destinations.map((destination) => ({ kind: 'add-destination' as const, service, destination })),
  ]);
  const results = await client.execute(writes);
  report('write-table', { writes: writes.length, failures: results.filter((r) => r.error).map((r) => r.error?.message) });
  report('dump-ours', { table: withoutStats(await client.dumpTable()) });
  report('single-gets', { services: await Promise.all(labTable.map(async ({ service }) => (await client.getService(service)).scheduler)) });

  // Edits in place, checked through ipvsadm, then undone.
  const first = labTable[0] as (typeof labTable)[number];
  await client.updateService({ ...first.service, scheduler: 'wlc', schedulerFlags: { flag1: false, flag2: false, flag3: false }, persistent: true, persistenceTimeout: 120, netmask: 16 });
  await client.updateDestination(first.service, { ...(first.destinations[0] as DestinationConfig), weight: 7, forwarding: 'tunnel', tunnel: { type: 'gue', port: 7000, checksum: true, remoteChecksum: false } });
  report('edited', { ipvsadm: sh('ipvsadm', ['-Sn']).output });
  await client.updateService(first.service);
  await client.updateDestination(first.service, first.destinations[0] as DestinationConfig);

  // Timeouts: set, read back, compare with ipvsadm, restore.
  const before = await client.getTimeouts();
  await client.setTimeouts({ tcp: 7200, tcpFin: 60, udp: 120 });
  const set = await client.getTimeouts();
  const ipvsadmTimeouts = sh('ipvsadm', ['-L', '--timeout']).output.trim();
  await client.setTimeouts({ tcp: 0, udp: 45 });
  const partial = await client.getTimeouts();
  await client.setTimeouts(before);
  report('timeouts', { before, set, ipvsadm: ipvsadmTimeouts, partial, restored: await client.getTimeouts() });

  // The sync daemon, started by us and seen by ipvsadm, and started by ipvsadm and seen by us.
  const daemon: Record<string, unknown> = {};
  daemon.start = await outcome(() => client.startDaemon({ role: 'master', interface: 'sync0', syncId: 5 }));
  daemon.startAgain = await outcome(() => client.startDaemon({ role: 'master', interface: 'sync0', syncId: 5 }));
  daemon.oursListed = await client.listDaemons();
  daemon.ipvsadmSeesOurs = sh('ipvsadm', ['-L', '--daemon']).output.trim();
  daemon.stop = await outcome(() => client.stopDaemon('master'));
  daemon.stopAgain = await outcome(() => client.stopDaemon('master'));
  daemon.ipvsadmAfterStop = sh('ipvsadm', ['-L', '--daemon']).output.trim();
  daemon.ipvsadmStart = sh('ipvsadm', ['--start-daemon', 'backup', '--mcast-interface', 'sync0', '--syncid', '9']);
  daemon.weSeeIpvsadms = await client.listDaemons();
  daemon.stopIpvsadms = await outcome(() => client.stopDaemon('backup'));
  daemon.listedAfter = await client.listDaemons();
  report('daemon', daemon);
}

async function converge(client: IpvsClient): Promise<void> {
  const foreignRules = '-A -t 10.99.0.1:80 -s rr\n-a -t 10.99.0.1:80 -r 10.98.0.1:80 -g -w 1\n';
  sh('ipvsadm', ['-R'], foreignRules);
  const foreignBefore = sh('ipvsadm', ['-Sn']).output;
  const owned = { addresses: new Set(['10.30.0.1', '2001:db8:30::1']), fwmarks: new Set([30]) };
  const v1: DesiredService[] = [
    { service: svc({ address: '10.30.0.1', scheduler: 'mh', schedulerFlags: { flag1: true, flag2: true, flag3: false } }), destinations: [dest('10.31.0.1'), dest('10.31.0.2'), dest('10.31.0.3')] },
    { service: svc({ address: '2001:db8:30::1', port: 443, netmask: 128 }), destinations: [dest('2001:db8:31::1', { port: 443 })] },
    { service: svc({ protocol: 'fwmark', family: 'inet', fwmark: 30 } as Partial<ServiceConfig>), destinations: [dest('10.31.0.4', { port: 0 })] },
  ];
  const pass = async (desired: DesiredService[]): Promise<Record<string, unknown>> => {
    const { plan, applied } = await reconcileTable(client, desired, owned, new Map(), { drainTimeoutMs: 60_000 }, logger);
    const table = (await client.dumpTable()).filter((s) => s.protocol === 'fwmark' || s.address !== '10.99.0.1');
    return { writes: plan.writes.map((w) => `${w.kind}:${w.reason}`), failed: applied.filter((a) => a.error).map((a) => a.error?.message), table: withoutStats(table) };
  };
  const first = await pass(v1);
  const again = await pass(v1);
  const v2: DesiredService[] = [
    { service: svc({ address: '10.30.0.1', scheduler: 'wlc' }), destinations: [dest('10.31.0.1', { weight: 4 }), dest('10.31.0.3'), dest('10.31.0.5')] },
    ...v1.slice(1, 2),
  ];
  const second = await pass(v2);
  const third = await pass(v2);
  // A pass scoped to one service: reads and writes only it, even with the others out of date.
  const scopedDesired = { ...(v2[0] as DesiredService), destinations: [dest('10.31.0.1', { weight: 6 }), dest('10.31.0.3'), dest('10.31.0.5')] };
  const scoped = await reconcileServices(client, [scopedDesired.service], [scopedDesired], new Map(), { drainTimeoutMs: 60_000 }, logger);
  const scopedResult = { writes: scoped.plan.writes.map((w) => `${w.kind}:${w.reason}`), failed: scoped.applied.filter((a) => a.error).map((a) => a.error?.message), ipvsadm: sh('ipvsadm', ['-Sn']).output };
  const removed = await pass([]);
  const foreignAfter = sh('ipvsadm', ['-Sn']).output;
  report('converge', { first, again, second, third, scoped: scopedResult, removed, foreignBefore, foreignAfter, v1: v1 as unknown, v2: v2 as unknown });
}

async function directRouting(client: IpvsClient): Promise<void> {
  const vip = process.env.VIP ?? '10.9.0.100';
  const service = svc({ address: vip, port: 80 });
  await client.addService(service);
  for (const rs of ['10.9.0.3', '10.9.0.4']) await client.addDestination(service, dest(rs));
  const answers: string[] = [];
  for (let i = 0; i < 8; i++) answers.push(sh('ip', ['netns', 'exec', 'client', 'curl', '-s', '-m', '5', `http://${vip}/`]).output.trim());
  // The kernel folds its per-CPU counters into the dumped ones every 2 s: wait for all 8 connections to show.
  const deadline = Date.now() + 15_000;
  while ((await client.getService(service)).stats.connections < BigInt(answers.length) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  const [entry] = (await client.dumpTable()).filter((s) => s.protocol === 'tcp' && s.address === vip);
  const counters = entry?.destinations.map((d) => ({ address: d.address, connections: d.stats.connections, packetsIn: d.stats.packetsIn, packetsOut: d.stats.packetsOut }));
  await client.zeroService(service);
  const zeroed = await client.getService(service);
  report('dr', { answers, service: { connections: entry?.stats.connections, packetsIn: entry?.stats.packetsIn, packetsOut: entry?.stats.packetsOut }, counters, zeroedConnections: zeroed.stats.connections, ipvsadm: sh('ipvsadm', ['-Ln', '--stats']).output });
}

const mode = process.argv[2];
const client = await IpvsClient.open();
try {
  if (mode === 'write-table') await writeTable(client);
  else if (mode === 'dump') report(process.argv[3] ?? 'dump', { table: withoutStats(await client.dumpTable()) });
  else if (mode === 'converge') await converge(client);
  else if (mode === 'dr') await directRouting(client);
  else throw new Error(`unknown mode ${mode}; see the top of ${import.meta.url}`);
} finally {
  client.close();
}
