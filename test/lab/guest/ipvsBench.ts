// Lab guest program of bench/ipvs.bench.ts, run inside a network namespace of its own ("ours").
// For each size N: N TCP services x 10 DR real servers, programmed and dumped by ipvsadm
// (-R, -Sn) in namespace "theirs" and by our client here; both tables must come out the
// same. Then, at the largest N, one real server's weight changes: by a full pass (one dump of
// everything, a diff, the writes) and back by a pass scoped to its service. Prints one
// LAB_RESULT line per measurement.
import { spawnSync } from 'node:child_process';
import { pino } from 'pino';
import { IpvsClient } from '../../../src/ipvs/client.js';
import type { IpvsWrite } from '../../../src/ipvs/commands.js';
import { reconcileServices, reconcileTable, type ReconcileResult } from '../../../src/ipvs/reconcile.js';
import type { DesiredService } from '../../../src/ipvs/diff.js';
import type { ServiceConfig } from '../../../src/ipvs/types.js';

const sizes = (process.env.IPVS_BENCH_SIZES ?? '100,500,2000').split(',').map(Number);
const DESTS = 10;
const logger = pino({ level: 'warn' }, pino.destination(2));

const report = (result: Record<string, unknown>): void => void process.stdout.write(`LAB_RESULT ${JSON.stringify(result)}\n`);
const ms = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

function run(namespace: string, args: string[], input?: string): { ms: number; stdout: string } {
  const start = process.hrtime.bigint();
  const result = spawnSync('ip', ['netns', 'exec', namespace, ...args], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const elapsed = ms(start);
  if (result.status !== 0) throw new Error(`${args.join(' ')} in ${namespace} failed (${result.status}): ${result.stderr}`);
  return { ms: elapsed, stdout: result.stdout };
}

function table(n: number, offset: number): DesiredService[] {
  return Array.from({ length: n }, (_, i) => {
    const k = i + offset;
    const service: ServiceConfig = {
      protocol: 'tcp',
      address: `10.${100 + (k >> 16)}.${(k >> 8) & 255}.${k & 255}`,
      port: 80,
      scheduler: 'wlc',
      schedulerFlags: { flag1: false, flag2: false, flag3: false },
      persistent: false,
      persistenceTimeout: 0,
      netmask: 32,
      onePacket: false,
    };
    const destinations = Array.from({ length: DESTS }, (_, j) => ({ address: `10.200.${j}.${(k % 250) + 1}`, port: 80, forwarding: 'dr' as const, weight: 1, upperThreshold: 0, lowerThreshold: 0 }));
    return { service, destinations };
  });
}

function rules(entries: DesiredService[]): string {
  const lines: string[] = [];
  for (const { service, destinations } of entries) {
    const vip = `${(service as { address: string }).address}:80`;
    lines.push(`-A -t ${vip} -s wlc`);
    for (const d of destinations) lines.push(`-a -t ${vip} -r ${d.address}:80 -g -w 1`);
  }
  return `${lines.join('\n')}\n`;
}

const sorted = (text: string): string => text.split('\n').filter(Boolean).sort().join('\n');

const client = await IpvsClient.open();
report({ name: 'bench-startup', ipvsadmEmptyDumpMs: run('theirs', ['ipvsadm', '-Sn']).ms });
let offset = 0;
for (const n of sizes) {
  const entries = table(n, offset);
  offset += n;
  const ipvsadmProgram = run('theirs', ['ipvsadm', '-R'], rules(entries));
  const ipvsadmDump = run('theirs', ['ipvsadm', '-Sn']);

  const writes: IpvsWrite[] = entries.flatMap(({ service, destinations }) => [
    { kind: 'add-service' as const, service },
    ...destinations.map((destination) => ({ kind: 'add-destination' as const, service, destination })),
  ]);
  const datagramsBefore = client.datagramsSent;
  let start = process.hrtime.bigint();
  const results = await client.execute(writes);
  const oursProgram = ms(start);
  const failed = results.filter((r) => r.error).length;
  const datagrams = client.datagramsSent - datagramsBefore;
  start = process.hrtime.bigint();
  const dumped = await client.dumpTable();
  const oursDump = ms(start);
  start = process.hrtime.bigint();
  await client.dumpTable({ stats: false });
  const oursDumpNoStats = ms(start);

  const theirsText = sorted(ipvsadmDump.stdout);
  const oursText = sorted(run('ours', ['ipvsadm', '-Sn']).stdout);
  report({
    name: 'bench-size',
    services: n,
    destinations: n * DESTS,
    ipvsadmProgramMs: ipvsadmProgram.ms,
    ipvsadmDumpMs: ipvsadmDump.ms,
    oursProgramMs: oursProgram,
    oursDumpMs: oursDump,
    oursDumpNoStatsMs: oursDumpNoStats,
    writes: writes.length,
    failed,
    datagrams,
    dumpedServices: dumped.length,
    dumpedDestinations: dumped.reduce((sum, s) => sum + s.destinations.length, 0),
    tablesEqual: theirsText === oursText,
  });
  // Keep the namespaces at the size just measured plus the earlier ones: reset both for the next size.
  if (n !== sizes.at(-1)) {
    await client.execute(entries.map(({ service }) => ({ kind: 'delete-service' as const, service })));
    run('theirs', ['ipvsadm', '-R'], entries.map(({ service }) => `-D -t ${(service as { address: string }).address}:80`).join('\n') + '\n');
    offset = 0;
  }
}

// Incremental: the largest table is in place; one weight changes, first through a full pass
// (one dump of everything), then back through a pass scoped to the one service.
const n = sizes.at(-1) as number;
const desired = table(n, 0);
const target = desired[Math.floor(n / 2)] as DesiredService;
const targetAddress = (target.service as { address: string }).address;
target.destinations[3] = { ...(target.destinations[3] as DesiredService['destinations'][number]), weight: 7 };
const owned = { addresses: new Set(desired.map((e) => (e.service as { address: string }).address)), fwmarks: new Set<number>() };
const weightOf = (): string | undefined =>
  run('ours', ['ipvsadm', '-Ln', '-t', `${targetAddress}:80`])
    .stdout.split('\n')
    .find((line) => line.includes(`${target.destinations[3]?.address}:80`))
    ?.trim()
    .split(/\s+/)[3];
/** Times one reconcile pass and reports what it cost and whether ipvsadm then shows `weight`. */
async function reportPass(scope: 'full' | 'one-service', weight: string, pass: () => Promise<ReconcileResult>): Promise<void> {
  const datagramsBefore = client.datagramsSent;
  const start = process.hrtime.bigint();
  const { plan, applied } = await pass();
  report({
    name: 'bench-incremental',
    scope,
    services: n,
    destinations: n * DESTS,
    ms: ms(start),
    writes: plan.writes.length,
    failed: applied.filter((a) => a.error).length,
    datagrams: client.datagramsSent - datagramsBefore,
    weightSeen: weightOf() === weight,
  });
}
await reportPass('full', '7', () => reconcileTable(client, desired, owned, new Map(), { drainTimeoutMs: 60_000 }, logger));
target.destinations[3] = { ...(target.destinations[3] as DesiredService['destinations'][number]), weight: 1 };
await reportPass('one-service', '1', () => reconcileServices(client, [target.service], [target], new Map(), { drainTimeoutMs: 60_000 }, logger));
client.close();
