import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { repoRoot, runInLab, type LabRun } from './lab.js';
import { advertsIn, handoverMs, type SeenAdvert } from './vrrpCapture.js';
import { bundleVrrpPrograms } from './vrrpLab.js';

// tsvs's VRRP speaker against keepalived 2.2 (test/lab/guest/vrrp-keepalived.sh), IPv4 and IPv6, both directions.
const ADVERT_MS = 2000;
const stateSchema = z.object({
  phase: z.string(),
  /** Holds both VIPs (IPv4 and IPv6) on its NIC / holds neither. */
  tsHolds: z.boolean(),
  kaHolds: z.boolean(),
  tsNone: z.boolean(),
  kaNone: z.boolean(),
  tsBackup: z.boolean(),
  clientMac: z.string(),
  tsMac: z.string(),
  kaMac: z.string(),
});
const markSchema = z.object({ phase: z.string(), at: z.number() });

describe('VRRP interoperability with keepalived', () => {
  let run: LabRun;
  let adverts: SeenAdvert[];
  const named = (name: string) => run.results.filter((r) => (r as { name?: unknown }).name === name);
  const state = (phase: string) => {
    const found = named('state').map((r) => stateSchema.parse(r)).find((s) => s.phase === phase);
    if (!found) throw new Error(`guest reported no state ${phase}; output:\n${run.output}`);
    return found;
  };
  const mark = (phase: string) => {
    const found = named('mark').map((r) => markSchema.parse(r)).find((m) => m.phase === phase);
    if (!found) throw new Error(`guest reported no mark ${phase}`);
    return found.at;
  };

  beforeAll(async () => {
    await bundleVrrpPrograms();
    run = await runInLab(`${repoRoot}/test/lab/guest/vrrp-keepalived.sh`, { timeoutMs: 900_000, env: { VRRP_ADVERT_MS: String(ADVERT_MS) } });
    const capture = z.object({ capture: z.string() }).parse(named('capture')[0]).capture;
    adverts = advertsIn(capture);
  }, 960_000);

  it('runs the scenario to the end', () => {
    expect(run.exitCode, run.output).toBe(0);
  });

  it('tsvs at 150 wins over keepalived at 100, and the client resolves the VIP to tsvs', () => {
    const s = state('ours-elected');
    expect(s).toMatchObject({ tsHolds: true, kaNone: true });
    expect(s.clientMac).toBe(s.tsMac);
  });

  it('keepalived takes over from a SIGKILLed tsvs; tsvs restarts, clears its stale VIP and preempts', () => {
    const took = state('keepalived-took-over');
    expect(took.kaHolds).toBe(true);
    expect(took.clientMac).toBe(took.kaMac);
    const back = state('ours-preempted');
    expect(back).toMatchObject({ tsHolds: true, kaNone: true });
    expect(back.clientMac).toBe(back.tsMac);
  });

  it('keepalived honours our priority 0: it takes over within Skew_Time of a clean stop', () => {
    expect(state('keepalived-after-clean-stop')).toMatchObject({ tsNone: true, kaHolds: true });
    expect(adverts.some((a) => a.source === '10.9.0.2' && a.priority === 0)).toBe(true);
    // Without priority 0 the gap could not be shorter than Master_Down_Interval minus one interval (> 2 intervals).
    expect(handoverMs(adverts, mark('ts-stopping'), '10.9.0.2', '10.9.0.3', 'stopped')).toBeLessThan(2 * ADVERT_MS);
  });

  it('keepalived at 200 wins over tsvs at 150, which holds the VIP on tsvs0', () => {
    expect(state('keepalived-elected')).toMatchObject({ tsNone: true, kaHolds: true, tsBackup: true });
  });

  it('tsvs takes over from a SIGKILLed keepalived, and yields when keepalived comes back', () => {
    const took = state('ours-took-over');
    expect(took.tsHolds).toBe(true);
    expect(took.clientMac).toBe(took.tsMac);
    expect(state('keepalived-preempted')).toMatchObject({ tsNone: true, kaHolds: true, tsBackup: true });
  });

  it("tsvs honours keepalived's priority 0: it takes over within Skew_Time of a clean stop", () => {
    expect(state('ours-after-clean-stop')).toMatchObject({ tsHolds: true, kaNone: true });
    expect(handoverMs(adverts, mark('ka-stopping'), '10.9.0.3', '10.9.0.2', 'stopped')).toBeLessThan(2 * ADVERT_MS);
  });

  it('prints the handovers measured on the wire', () => {
    const handovers = {
      tsKilled: handoverMs(adverts, mark('ts-killed'), '10.9.0.2', '10.9.0.3', 'killed'),
      tsStopped: handoverMs(adverts, mark('ts-stopping'), '10.9.0.2', '10.9.0.3', 'stopped'),
      kaKilled: handoverMs(adverts, mark('ka-killed'), '10.9.0.3', '10.9.0.2', 'killed'),
      kaStopped: handoverMs(adverts, mark('ka-stopping'), '10.9.0.3', '10.9.0.2', 'stopped'),
    };
    process.stderr.write(`VRRP handovers (advert interval ${ADVERT_MS} ms, last advert of one master to first of the next): ${JSON.stringify(handovers)}\n`);
    // A SIGKILL leaves no priority 0: the backup waits out Master_Down_Interval.
    expect(handovers.tsKilled).toBeGreaterThan(2 * ADVERT_MS);
    expect(handovers.kaKilled).toBeGreaterThan(2 * ADVERT_MS);
  });
});
