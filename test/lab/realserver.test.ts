import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { repoRoot, runInLab, type LabRun } from './lab.js';

const observation = z.object({
  exitCode: z.number(),
  lo: z.array(z.object({ local: z.string(), prefixlen: z.number(), nodad: z.boolean() })),
  sysctls: z.array(z.string()),
  nftRules: z.array(z.string()).nullable(),
});
const resultSchemas = {
  first: observation,
  again: observation,
  http: z.object({ responses: z.array(z.string()), stats: z.array(z.object({ service: z.string(), server: z.string(), conns: z.number() })) }),
  bad: z.object({ exitCode: z.number(), stderr: z.string() }),
  noadmin: z.object({ exitCode: z.number(), stderr: z.string() }),
};

describe('tsvs realserver-init in a pod network namespace (real kernel)', () => {
  let run: LabRun;
  const result = <K extends keyof typeof resultSchemas>(name: K): z.infer<(typeof resultSchemas)[K]> => {
    const found = run.results.find((r) => (r as { name?: unknown }).name === name);
    if (!found) throw new Error(`guest reported no ${name} result; output:\n${run.output}`);
    return resultSchemas[name].parse(found) as z.infer<(typeof resultSchemas)[K]>;
  };

  beforeAll(async () => {
    // Under TCG each node start takes about 20 s (measured), and the guest starts it five times.
    run = await runInLab(`${repoRoot}/test/lab/realserver-guest.sh`, { timeoutMs: 900_000 });
  });

  it('waits for the VIP in its config file, then gives lo the VIPs (/32, /128 without DAD) and keeps 127.0.0.1', () => {
    const first = result('first');
    expect(first.exitCode, run.output).toBe(0);
    expect(first.lo).toEqual(
      expect.arrayContaining([
        { local: '127.0.0.1', prefixlen: 8, nodad: false },
        { local: '10.9.0.100', prefixlen: 32, nodad: false },
        { local: 'fd00:96::10', prefixlen: 128, nodad: true },
      ]),
    );
  });

  it('sets arp_ignore=1 and arp_announce=2 on all and eth0', () => {
    expect(result('first').sysctls).toEqual(['1', '2', '1', '2']);
  });

  it('redirects VIP:80 to port 8080 with one nftables rule', () => {
    const rules = result('first').nftRules!;
    expect(rules).toHaveLength(1);
    expect(rules[0]).toContain('"10.9.0.100"');
    expect(rules[0]).toContain('"dnat"');
    expect(rules[0]).toContain('8080');
  });

  it('is idempotent: a second run succeeds and changes nothing', () => {
    const [first, again] = [result('first'), result('again')];
    expect(again.exitCode, run.output).toBe(0);
    expect(again.lo).toEqual(first.lo);
    expect(again.nftRules).toEqual(first.nftRules);
  });

  it('then serves direct-routing traffic: HTTP to VIP:80 through IPVS DR reaches the server on 8080', () => {
    const http = result('http');
    expect(http.responses).toEqual(Array(4).fill('hello from pod'));
    expect(http.stats).toEqual([expect.objectContaining({ service: 'TCP 10.9.0.100:80', server: '10.244.0.2:80', conns: 4 })]);
  });

  it('exits non-zero with a clear message on a bad config file', () => {
    const bad = result('bad');
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toContain("'not-an-ip' is not an IP address");
  });

  it('exits non-zero and names the missing capability without CAP_NET_ADMIN', () => {
    const noadmin = result('noadmin');
    expect(noadmin.exitCode).not.toBe(0);
    expect(noadmin.stderr).toMatch(/EPERM.*CAP_NET_ADMIN/);
  });
});
