/**
 * IPVS programming and dumping: N TCP services x 10 DR real servers written and dumped by
 * tsvs's client and by ipvsadm (-R, -Sn), each in its own namespace of the same lab VM
 * (test/lab/guest/ipvs-bench.sh); then one weight changed among the largest table, through
 * reconcileTable (one dump, a diff, the writes) and back through reconcileServices (that
 * service only). Environment: IPVS_BENCH_SIZES (default
 * "100,500,2000"). The lab is qemu without KVM: absolute times are slow, ratios are the point.
 */
import { z } from 'zod';
import { repoRoot, runInLab } from '../test/lab/lab.js';

const sizeSchema = z.object({
  name: z.literal('bench-size'),
  services: z.number(),
  destinations: z.number(),
  ipvsadmProgramMs: z.number(),
  ipvsadmDumpMs: z.number(),
  oursProgramMs: z.number(),
  oursDumpMs: z.number(),
  oursDumpNoStatsMs: z.number(),
  writes: z.number(),
  failed: z.number(),
  datagrams: z.number(),
  dumpedServices: z.number(),
  dumpedDestinations: z.number(),
  tablesEqual: z.boolean(),
});
const incrementalSchema = z.object({
  name: z.literal('bench-incremental'),
  scope: z.enum(['full', 'one-service']),
  services: z.number(),
  destinations: z.number(),
  ms: z.number(),
  writes: z.number(),
  failed: z.number(),
  datagrams: z.number(),
  weightSeen: z.boolean(),
});
const startupSchema = z.object({ name: z.literal('bench-startup'), ipvsadmEmptyDumpMs: z.number() });

const f = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const ratio = (theirs: number, ours: number): string => `${(theirs / ours).toFixed(2)}x`;

export default async function ipvsBench(): Promise<void> {
  const sizes = process.env.IPVS_BENCH_SIZES ?? '100,500,2000';
  const run = await runInLab(`${repoRoot}/test/lab/guest/ipvs-bench.sh`, { timeoutMs: 3_600_000, memoryMiB: 2048, env: { IPVS_BENCH_SIZES: sizes } });
  const byName = (name: string): unknown[] => run.results.filter((r) => (r as { name?: unknown }).name === name);
  const rows = byName('bench-size').map((r) => sizeSchema.parse(r));
  const incremental = byName('bench-incremental').map((r) => incrementalSchema.parse(r));
  const startup = byName('bench-startup').map((r) => startupSchema.parse(r))[0];
  if (run.exitCode !== 0 || rows.length === 0 || incremental.length !== 2) throw new Error(`ipvs bench guest failed (exit ${run.exitCode}):\n${run.output.slice(-4000)}`);

  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  out('IPVS: N services x 10 DR real servers; ratio = ipvsadm time / tsvs time (above 1: tsvs faster)');
  if (startup) out(`(ipvsadm -Sn of an empty table, i.e. its process start-up, took ${f(startup.ipvsadmEmptyDumpMs)}; included in its times)`);
  for (const r of rows) {
    out(`N=${r.services} (${r.destinations} real servers)`);
    out(`  program: ipvsadm -R ${f(r.ipvsadmProgramMs)}  tsvs ${f(r.oursProgramMs)} (${r.writes} writes in ${r.datagrams} sendmsg, ${r.failed} failed)  ratio ${ratio(r.ipvsadmProgramMs, r.oursProgramMs)}`);
    out(`  dump:    ipvsadm -Sn ${f(r.ipvsadmDumpMs)}  tsvs ${f(r.oursDumpMs)} with stats (${ratio(r.ipvsadmDumpMs, r.oursDumpMs)}), ${f(r.oursDumpNoStatsMs)} without (${ratio(r.ipvsadmDumpMs, r.oursDumpNoStatsMs)})`);
    out(`  dumped ${r.dumpedServices} services / ${r.dumpedDestinations} real servers; ipvsadm -Sn sees the same table in both namespaces: ${r.tablesEqual}`);
  }
  for (const i of incremental) {
    const how = i.scope === 'full' ? 'reconcileTable (dump all, diff, apply)' : 'reconcileServices on its service (get, dump its real servers, diff, apply)';
    out(
      `incremental, one weight among ${i.services} services, ${how}: ${f(i.ms)}, ${i.writes} write (${i.failed} failed), ` +
        `${i.datagrams} sendmsg in all; ipvsadm shows the new weight: ${i.weightSeen}`,
    );
  }
}
