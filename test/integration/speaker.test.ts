import { randomBytes } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi, DiscoveryV1Api, PatchStrategy, setHeaderOptions, type V1EndpointSlice } from '@kubernetes/client-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyVirtualServerStatus } from '../../src/controllers/kubeWriter.js';
import type { VirtualServer } from '../../src/kube/virtualServer.js';
import { createSpeakerMetrics } from '../../src/metrics/speakerMetrics.js';
import { startClusterSources, type ClusterSources } from '../../src/speaker/clusterSources.js';
import { defaultVrid } from '../../src/speaker/desired/vrrpGroups.js';
import { Speaker } from '../../src/speaker/speaker.js';
import { speakerFieldManager, speakerStatusApplier, StatusPublisher } from '../../src/speaker/statusPublisher.js';
import { RecordingKernel } from '../support/recordingKernel.js';
import { createTestNamespace, testKubeConfig, virtualServerApi } from '../support/kube.js';
import { waitFor } from '../support/processes.js';

// The speaker's Kubernetes side against the real API server: its caches, its passes and its
// status writes. The kernel side is a recorder here (this machine has no IPVS); the lab runs
// the real one.
describe('the speaker against the real kube-apiserver (kernel recorded)', () => {
  const suffix = randomBytes(3).toString('hex');
  const nodes = [`spk-${suffix}-1`, `spk-${suffix}-2`];
  const vip = '198.51.100.77';
  const vrid = defaultVrid(vip);
  const kc = testKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  let namespace: string;
  let vs: ReturnType<typeof virtualServerApi>;
  const running: Array<{ node: string; speaker: Speaker; sources: ClusterSources; kernel: RecordingKernel }> = [];

  const slice = (ready: [boolean, boolean]): V1EndpointSlice => ({
    metadata: { name: 'web-1', namespace, labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: [
      { addresses: ['10.244.1.5'], conditions: { ready: ready[0] }, nodeName: nodes[0], targetRef: { kind: 'Pod', name: 'web-a', namespace } },
      { addresses: ['10.244.2.5'], conditions: { ready: ready[1] }, nodeName: nodes[1], targetRef: { kind: 'Pod', name: 'web-b', namespace } },
    ],
  });

  /** The destinations each speaker's last table sends VIP:80 to. */
  const tableOf = (i: number): string[] | undefined =>
    running[i]!.kernel.table.find((s) => s.service.protocol === 'tcp' && s.service.address === vip && s.service.port === 80)?.destinations.map((d) => d.address);
  const status = async () => ((await vs.get('web')) as VirtualServer).status;
  const entry = async (node: string) => (await status())?.nodes?.find((n) => n.name === node);

  beforeAll(async () => {
    namespace = await createTestNamespace(kc, 'speaker');
    vs = virtualServerApi(kc, namespace);
    for (const name of nodes) {
      await core.createNode({ body: { metadata: { name } } });
      await core.patchNodeStatus({ name, body: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'test' }] } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    }
    await vs.create({
      apiVersion: 'tsvs.io/v1alpha1',
      kind: 'VirtualServer',
      metadata: { name: 'web' },
      spec: { realServerPortRedirect: true, ports: [{ name: 'http', port: 80, targetPort: 8080 }], realServers: { serviceName: 'web' } },
    });
    // What the controller would write: the VIP, under its own field manager.
    await applyVirtualServerStatus(kc.makeApiClient(CustomObjectsApi), namespace, 'web', 'tsvs-controller', { vip });
    await discovery.createNamespacedEndpointSlice({ namespace, body: slice([true, true]) });

    for (const node of nodes) {
      const log = pino({ level: 'warn' });
      let onChange = (): void => undefined;
      const sources = await startClusterSources(kc, () => onChange(), log);
      let kernel: RecordingKernel | undefined;
      const speaker = new Speaker(
        { nodeName: node, defaultAdvertIntervalMs: 1000, resyncIntervalMs: 60_000, statsIntervalMs: 60_000 },
        {
          sources,
          createKernel: (hooks) => (kernel = new RecordingKernel(hooks)),
          status: new StatusPublisher(speakerStatusApplier(kc, node), log),
          metrics: createSpeakerMetrics(new Registry()),
          log,
        },
      );
      onChange = () => speaker.requestSync();
      await speaker.start();
      running.push({ node, speaker, sources, kernel: kernel! });
    }
  });

  afterAll(async () => {
    for (const { speaker, sources } of running) {
      await speaker.stop();
      await sources.stop();
    }
    for (const name of nodes) await core.deleteNode({ name }).catch(() => undefined);
  });

  it("hands each node's kernel its VRRP instance and its tier-2 table, the VIP held while backup", () => {
    for (const [i, { kernel }] of running.entries()) {
      const vrrp = kernel.vrrp.at(-1)!;
      expect(vrrp.instances.find((g) => g.addresses.includes(vip))).toMatchObject({ vrid, advertIntervalMs: 1000 });
      expect(vrrp.heldWhileBackup).toContain(vip);
      expect(tableOf(i)).toEqual([i === 0 ? '10.244.1.5' : '10.244.2.5']);
    }
    // Distinct priorities: one of the two wins the election.
    const priorities = running.map(({ kernel }) => kernel.vrrp.at(-1)!.instances.find((g) => g.addresses.includes(vip))!.priority);
    expect(new Set(priorities).size).toBe(2);
  });

  it('writes each node its own status.nodes entry, beside the controller’s fields', async () => {
    await waitFor('both speakers in status.nodes', async () => (await status())?.nodes?.length === 2, 20_000);
    const current = await status();
    expect(current?.vip).toBe(vip);
    expect(current?.masterNode).toBeUndefined();
    for (const node of nodes) expect(await entry(node)).toEqual({ name: node, role: 'Backup', programmed: true, realServers: 1, message: expect.stringContaining('tier 2') });
    const managers = ((await vs.get('web')) as VirtualServer).metadata.managedFields!.map((f) => f.manager);
    expect(managers).toEqual(expect.arrayContaining(['tsvs-controller', ...nodes.map(speakerFieldManager)]));
  });

  it('programs tier 1 on a new master at once and reports its entry as Master; the next master does the same', async () => {
    running[0]!.kernel.transition(4, vrid, 'master');
    await running[0]!.speaker.settled();
    expect(tableOf(0)).toEqual(['10.244.1.5', '10.244.2.5']);
    await waitFor(`${nodes[0]} to report Master`, async () => (await entry(nodes[0]!))?.role === 'Master', 20_000);
    expect(await entry(nodes[0]!)).toMatchObject({ role: 'Master', programmed: true, realServers: 2 });

    running[1]!.kernel.transition(4, vrid, 'master');
    running[0]!.kernel.transition(4, vrid, 'backup');
    await waitFor(`${nodes[1]} to report Master`, async () => (await entry(nodes[1]!))?.role === 'Master' && (await entry(nodes[0]!))?.role === 'Backup', 20_000);
    expect(tableOf(0)).toEqual(['10.244.1.5']);
    expect(tableOf(1)).toEqual(['10.244.1.5', '10.244.2.5']);
  });

  it('follows EndpointSlice changes: a real server that is no longer ready leaves every table that had it', async () => {
    await discovery.replaceNamespacedEndpointSlice({ name: 'web-1', namespace, body: { ...slice([false, true]), metadata: { ...slice([false, true]).metadata, resourceVersion: (await discovery.readNamespacedEndpointSlice({ name: 'web-1', namespace })).metadata!.resourceVersion! } } });
    await waitFor('the master to drop 10.244.1.5', async () => JSON.stringify(tableOf(1)) === JSON.stringify(['10.244.2.5']), 20_000);
    await waitFor('node 1 to drop its service', async () => tableOf(0) === undefined, 20_000);
    expect(running[0]!.kernel.vrrp.at(-1)!.heldWhileBackup).not.toContain(vip);
    await waitFor('the status to follow', async () => (await entry(nodes[1]!))?.realServers === 1 && (await entry(nodes[0]!))?.realServers === 0, 20_000);
  });

  it('takes the real servers of a selector from the watched pods', async () => {
    const selVip = '198.51.100.78';
    await vs.create({
      apiVersion: 'tsvs.io/v1alpha1',
      kind: 'VirtualServer',
      metadata: { name: 'sel' },
      spec: { ports: [{ port: 443 }], realServers: { selector: { matchLabels: { app: 'sel' } } } },
    });
    await applyVirtualServerStatus(kc.makeApiClient(CustomObjectsApi), namespace, 'sel', 'tsvs-controller', { vip: selVip });
    await core.createNamespacedPod({ namespace, body: { metadata: { name: 'sel-a', labels: { app: 'sel' } }, spec: { nodeName: nodes[1], containers: [{ name: 'c', image: 'example.invalid/c' }] } } });
    await core.patchNamespacedPodStatus(
      {
        name: 'sel-a',
        namespace,
        body: { status: { phase: 'Running', podIP: '10.244.2.9', podIPs: [{ ip: '10.244.2.9' }], conditions: [{ type: 'Ready', status: 'True' }] } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const selTable = (i: number) => running[i]!.kernel.table.find((s) => s.service.protocol === 'tcp' && s.service.address === selVip)?.destinations.map((d) => d.address);
    await waitFor('node 2 to serve the selected pod', async () => JSON.stringify(selTable(1)) === JSON.stringify(['10.244.2.9']), 20_000);
    expect(selTable(0)).toBeUndefined();
  });

  it('withdraws its status entry when it stops, and hands the kernel its VIPs to clean up', async () => {
    const { speaker, sources, kernel } = running.shift()!;
    await speaker.stop();
    await sources.stop();
    expect(kernel.stoppedWith).toContain(vip);
    await waitFor('the stopped node to leave status.nodes', async () => (await status())?.nodes?.map((n) => n.name).join() === nodes[1], 20_000);
    // masterNode is the controller's to derive from these entries; speakers never write it.
    expect((await status())?.masterNode).toBeUndefined();
  });
});
