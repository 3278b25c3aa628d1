import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { prepareLab, repoRoot, runInLab, type LabImage, type LabRun } from './lab.js';

const statsSchema = z.array(z.object({ service: z.string(), server: z.string(), conns: z.number(), inPkts: z.number(), outPkts: z.number() }));
const resultSchemas = {
  ipvsadm: z.object({ exitCode: z.number(), output: z.string() }),
  modules: z.object({ missing: z.array(z.string()) }),
  autoload: z.object({ loadedBefore: z.boolean(), loadedAfter: z.boolean(), scheduler: z.string() }),
  dr: z.object({
    responses: z.array(z.string()),
    nodeA: statsSchema,
    nodeB: statsSchema,
    replyPacketsFromNodeAMac: z.number(),
    replyPacketsFromNodeBMac: z.number(),
  }),
  ipv6: z.object({ response: z.string(), stats: statsSchema }),
  node: z.object({ loader: z.string(), kernel: z.string(), node: z.string(), uid: z.number(), loggerLevel: z.string() }),
  'node-tsx': z.object({ loader: z.string(), kernel: z.string(), node: z.string(), uid: z.number(), loggerLevel: z.string() }),
};

describe('the real-kernel lab', () => {
  let run: LabRun;
  let image: LabImage;
  const result = <K extends keyof typeof resultSchemas>(name: K): z.infer<(typeof resultSchemas)[K]> => {
    const found = run.results.find((r) => (r as { name?: unknown }).name === name);
    if (!found) throw new Error(`guest reported no ${name} result; output:\n${run.output}`);
    return resultSchemas[name].parse(found) as z.infer<(typeof resultSchemas)[K]>;
  };

  beforeAll(async () => {
    image = await prepareLab();
    run = await runInLab(`${repoRoot}/test/lab/guest/selftest.sh`, { timeoutMs: 900_000 });
  });

  it('runs the guest script to the end', () => {
    expect(run.exitCode, run.output).toBe(0);
  });

  it('reaches the kernel IPVS family with ipvsadm', () => {
    const ipvsadm = result('ipvsadm');
    expect(ipvsadm.exitCode).toBe(0);
    expect(ipvsadm.output).toMatch(/^IP Virtual Server version \d+\.\d+\.\d+/);
  });

  it('loads every module the project relies on', () => {
    expect(result('modules').missing).toEqual([]);
  });

  it('lets the kernel load a scheduler module on demand', () => {
    expect(result('autoload')).toEqual({ loadedBefore: false, loadedAfter: true, scheduler: 'wlc' });
  });

  it('carries HTTP through two-tier direct routing to pods on both nodes', () => {
    const dr = result('dr');
    expect(dr.responses).toHaveLength(12);
    for (const response of dr.responses) expect(response).toMatch(/^hello from pod(A1|B1|B2)$/);
    const remote = dr.responses.filter((r) => r !== 'hello from podA1').length;
    expect(remote, 'Maglev sent no request to nodeB in 12 tries').toBeGreaterThan(0);

    const byServer = (stats: z.infer<typeof statsSchema>) => Object.fromEntries(stats.map((s) => [s.server, s]));
    const nodeA = byServer(dr.nodeA);
    // Tier 1 saw every connection (readiness probes went from each node to its pods directly).
    const tier1Conns = dr.nodeA.reduce((sum, s) => sum + s.conns, 0);
    expect(tier1Conns).toBe(12);
    // Tier 2 saw exactly the connections tier 1 sent to nodeB's pods.
    const sentToB = (nodeA['10.244.1.2:80']?.conns ?? 0) + (nodeA['10.244.1.3:80']?.conns ?? 0);
    expect(dr.nodeB.reduce((sum, s) => sum + s.conns, 0)).toBe(sentToB);
    expect(sentToB).toBe(remote);
    // IPVS counts a reply only where it passes the node's forwarding path: the pods' own nodes.
    // nodeB's pods' replies never pass the master; nodeB passes them for its pods.
    expect(nodeA['10.244.1.2:80']?.outPkts).toBe(0);
    expect(nodeA['10.244.1.3:80']?.outPkts).toBe(0);
    for (const s of dr.nodeB) expect(s.outPkts > 0).toBe(s.conns > 0);
    expect((nodeA['10.244.0.2:80']?.outPkts ?? 0) > 0).toBe(remote < dr.responses.length);
    // The client sees replies arrive from the MAC of the node whose pod answered.
    expect(dr.replyPacketsFromNodeBMac).toBeGreaterThan(0);
    expect(dr.replyPacketsFromNodeAMac > 0).toBe(remote < dr.responses.length);
  });

  it('carries HTTP over IPv6 by direct routing to a pod behind its node', () => {
    const ipv6 = result('ipv6');
    expect(ipv6.response).toBe('hello from pod6');
    expect(ipv6.stats).toEqual([expect.objectContaining({ service: 'TCP [fd00:9::100]:80', server: '[fd00:244::2]:80', conns: 1 })]);
  });

  it.each([
    ['node', 'js'],
    ['node-tsx', 'tsx'],
  ] as const)('runs node in the guest, importing the repository TypeScript (%s)', (name, loader) => {
    expect(result(name)).toEqual({ loader, kernel: image.release, node: process.version, uid: 0, loggerLevel: 'info' });
  });
});
