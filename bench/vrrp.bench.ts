/**
 * VRRP failover as a client sees it: the longest gap in answers to a request every 20 ms
 * while the master node dies, for tsvs and for keepalived with the same advertisement
 * interval and priorities, in the same lab run (test/lab/guest/vrrp-bench.sh).
 * Environment: VRRP_BENCH_REPS (default 3), VRRP_BENCH_INTERVALS (ms, default "1000 100").
 */
import { z } from 'zod';
import { repoRoot, runInLab } from '../test/lab/lab.js';
import { bundleVrrpPrograms } from '../test/lab/vrrpLab.js';

const gapSchema = z.object({
  name: z.literal('gap'),
  impl: z.enum(['tsvs', 'keepalived']),
  intervalMs: z.number(),
  rep: z.number(),
  longestGapMs: z.number(),
  before: z.string(),
  after: z.string(),
  sent: z.number(),
  answered: z.number(),
});
type Gap = z.infer<typeof gapSchema>;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

export default async function vrrpBench(): Promise<void> {
  const reps = process.env.VRRP_BENCH_REPS ?? '3';
  const intervals = process.env.VRRP_BENCH_INTERVALS ?? '1000 100';
  await bundleVrrpPrograms();
  const run = await runInLab(`${repoRoot}/test/lab/guest/vrrp-bench.sh`, {
    timeoutMs: 3_600_000,
    memoryMiB: 2048,
    env: { VRRP_BENCH_REPS: reps, VRRP_BENCH_INTERVALS: intervals },
  });
  const gaps: Gap[] = run.results.filter((r) => (r as { name?: unknown }).name === 'gap').map((r) => gapSchema.parse(r));
  if (run.exitCode !== 0 || gaps.length === 0) throw new Error(`vrrp bench guest failed (exit ${run.exitCode}):\n${run.output.slice(-4000)}`);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out('VRRP failover: longest gap between answers (client request every 20 ms; master node a (150) dies, b (100) takes over)');
  out('interval   implementation   runs (ms)                      median   ratio tsvs/keepalived');
  for (const interval of [...new Set(gaps.map((g) => g.intervalMs))]) {
    const of = (impl: Gap['impl']) => gaps.filter((g) => g.intervalMs === interval && g.impl === impl);
    const tsvs = median(of('tsvs').map((g) => g.longestGapMs));
    const keepalived = median(of('keepalived').map((g) => g.longestGapMs));
    for (const impl of ['tsvs', 'keepalived'] as const) {
      const runs = of(impl);
      const wrong = runs.filter((g) => g.before !== 'a' || g.after !== 'b');
      out(
        `${`${interval} ms`.padEnd(11)}${impl.padEnd(17)}${runs.map((g) => g.longestGapMs).join(', ').padEnd(31)}${String(median(runs.map((g) => g.longestGapMs))).padEnd(9)}` +
          `${impl === 'tsvs' ? (tsvs / keepalived).toFixed(2) : ''}${wrong.length ? `  (${wrong.length} runs not a->b!)` : ''}`,
      );
    }
    out(`${' '.repeat(11)}goal: tsvs <= keepalived: ${tsvs <= keepalived ? 'met' : 'NOT met'}${interval === 100 ? `; tsvs < 500 ms: ${tsvs < 500 ? 'met' : 'NOT met'}` : ''}`);
  }
  out(`lab run: boot ${run.timings.bootMs} ms, total ${Math.round(run.timings.totalMs / 1000)} s`);
}
