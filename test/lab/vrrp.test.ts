import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { repoRoot, runInLab, type LabRun } from './lab.js';
import { bundleVrrpPrograms } from './vrrpLab.js';

// tsvs's VRRP speakers against a real kernel (test/lab/guest/vrrp-election.sh).
const ADVERT_MS = 3000;
const results = {
  election: z.object({ masters: z.string(), n1Backup: z.boolean(), n3Backup: z.boolean(), sysctls: z.record(z.string(), z.unknown()) }),
  'arp-before': z.object({ v4: z.string(), v6: z.string(), masterMac: z.string() }),
  sigkill: z.object({ v4: z.string(), v6: z.string(), newMasterMac: z.string(), n1Backup: z.boolean() }),
  restart: z.object({ masters: z.string() }),
  'clean-stop': z.object({
    takeoverMs: z.number(),
    loggedTakeoverMs: z.number(),
    advertMs: z.number(),
    exitCode: z.number(),
    tsvs0Left: z.boolean(),
    vipLeftOnE0: z.boolean(),
    arpIgnore: z.string(),
    rpFilter: z.record(z.string(), z.string()),
  }),
  hostile: z.object({ masters: z.string(), n1Backup: z.boolean(), n3Drops: z.array(z.object({ reason: z.string(), source: z.string() })) }),
  'hostile-control': z.object({ yielded: z.boolean() }),
  unicast: z.object({ n3Elected: z.boolean(), n1TookOver: z.boolean(), capture: z.string() }),
  capture: z.object({ capture: z.string(), n2Mac: z.string(), n3Mac: z.string() }),
};

describe('VRRP speakers on a real kernel', () => {
  let run: LabRun;
  const result = <K extends keyof typeof results>(name: K): z.infer<(typeof results)[K]> => {
    const found = run.results.find((r) => (r as { name?: unknown }).name === name);
    if (!found) throw new Error(`guest reported no ${name} result; output:\n${run.output}`);
    return results[name].parse(found) as z.infer<(typeof results)[K]>;
  };

  beforeAll(async () => {
    await bundleVrrpPrograms();
    run = await runInLab(`${repoRoot}/test/lab/guest/vrrp-election.sh`, { timeoutMs: 900_000, env: { VRRP_ADVERT_MS: String(ADVERT_MS) } });
  }, 960_000);

  it('runs the scenario to the end', () => {
    expect(run.exitCode, run.output).toBe(0);
  });

  it('elects the highest priority; the others hold the VIPs on tsvs0; node sysctls are set', () => {
    const election = result('election');
    expect(election).toMatchObject({ masters: 'n2 ', n1Backup: true, n3Backup: true });
    // rp_filter off where pod replies from the VIP arrive on an address-less veth; e0 keeps its own.
    expect(election.sysctls).toEqual({ arpIgnore: '1', arpAnnounce: '2', rpFilter: { all: '0', default: '0', veth: '0', e0: '1' }, acceptLocal: '1' });
  });

  it("resolves the VIPs (IPv4 and IPv6) to the master's MAC", () => {
    const before = result('arp-before');
    expect(before.v4).toBe(before.masterMac);
    expect(before.v6).toBe(before.masterMac);
  });

  it("after a SIGKILL of the master the next priority takes over and the client's caches follow it", () => {
    const kill = result('sigkill');
    expect(kill.v4).toBe(kill.newMasterMac);
    expect(kill.v6).toBe(kill.newMasterMac);
    expect(kill.n1Backup).toBe(true);
  });

  it('a restarted speaker clears its stale VIPs and preempts back', () => {
    expect(result('restart').masters).toBe('n2 ');
  });

  it('a clean stop hands over within Skew_Time (priority 0) and undoes VIPs, tsvs0 and sysctls, even after an earlier SIGKILL', () => {
    const stop = result('clean-stop');
    // Without priority 0, n3 could not take over sooner than Master_Down_Interval minus one interval (> 2 intervals).
    expect(stop.loggedTakeoverMs).toBeLessThan(stop.advertMs);
    expect(stop).toMatchObject({ exitCode: 0, tsvs0Left: false, vipLeftOnE0: false, arpIgnore: '0', rpFilter: { all: '1', default: '1', veth: '1', e0: '1' } });
  });

  it('ignores advertisements with TTL 254, a bad checksum or version 2, and logs why', () => {
    const hostile = result('hostile');
    expect(hostile).toMatchObject({ masters: 'n3 ', n1Backup: true });
    expect(new Set(hostile.n3Drops.filter((d) => d.source === '10.9.0.66').map((d) => d.reason))).toEqual(new Set(['hop-limit', 'checksum', 'version']));
    // The same advertisement, well formed, does take effect: the checks are what stopped it.
    expect(result('hostile-control').yielded).toBe(true);
  });

  it('elects and fails over with unicast peers, sending to the peer only', () => {
    const { capture, ...unicast } = result('unicast');
    expect(unicast).toEqual({ n3Elected: true, n1TookOver: true });
    expect(capture).toMatch(/10\.9\.0\.3 > 10\.9\.0\.1: VRRPv3, Advertisement, vrid 60, prio 120/);
    expect(capture).toMatch(/10\.9\.0\.1 > 10\.9\.0\.3: VRRPv3, Advertisement, vrid 60, prio 100/);
    expect(capture).not.toMatch(/> 224\.0\.0\.18: VRRPv3, Advertisement, vrid 60/);
  });

  it('sends packets that tcpdump decodes cleanly: VRRPv3 with TTL/hop limit 255, request-form GARP, NA with override', () => {
    const { capture, n2Mac, n3Mac } = result('capture');
    expect(capture).toMatch(/ttl 255, .*proto VRRP \(112\), length 32\)\n\s+10\.9\.0\.2 > 224\.0\.0\.18: VRRPv3, Advertisement, vrid 51, prio 150, intvl 300cs, length 12, addrs: 10\.9\.0\.100/);
    expect(capture).toMatch(/10\.9\.0\.2 > 224\.0\.0\.18: VRRPv3, Advertisement, vrid 52, prio 150, intvl 300cs, length 16, addrs\(2\): 10\.9\.0\.101,10\.9\.0\.102/);
    expect(capture).toMatch(/10\.9\.0\.2 > 224\.0\.0\.18: VRRPv3, Advertisement, vrid 51, prio 0,/);
    expect(capture).toMatch(/hlim 255, next-header VRRP \(112\).*\n?.*fe80::[0-9a-f:]+ > ff02::12: VRRPv3, Advertisement, vrid 51, prio 150, intvl 300cs, length 24, addrs: 2001:db8::100/);
    expect(capture).toContain(`${n3Mac} > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 60: Ethernet (len 6), IPv4 (len 4), Request who-has 10.9.0.100 tell 10.9.0.100, length 46`);
    expect(capture).toMatch(new RegExp(`${n2Mac} > 33:33:00:00:00:01, .*hlim 255, next-header ICMPv6.*\\[icmp6 sum ok\\] ICMP6, neighbor advertisement, length 32, tgt is 2001:db8::100, Flags \\[override\\]`));
    // Only the rogue's injected packets may be malformed (tcpdump checks VRRPv2 checksums).
    const complaints = capture.split('\n').filter((line) => /bad|\[\|vrrp\]|malformed/i.test(line));
    expect(complaints.filter((line) => !line.trim().startsWith('10.9.0.66 >'))).toEqual([]);
  });
});
