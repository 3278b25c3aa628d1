import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Service } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventRecorder } from '../../src/controllers/eventRecorder.js';
import { applyVirtualServerStatus, createKubeWriter } from '../../src/controllers/kubeWriter.js';
import { LoadBalancerController, serviceFinalizer, virtualServerFinalizer } from '../../src/controllers/loadBalancerController.js';
import type { AddressPool } from '../../src/kube/addressPool.js';
import type { VirtualServer, VirtualServerNodeStatus } from '../../src/kube/virtualServer.js';
import { createLogger } from '../../src/log.js';
import { createControllerMetrics } from '../../src/metrics/controllerMetrics.js';
import { createTestNamespace, eventReasons, testKubeConfig } from '../support/kube.js';
import { waitFor } from '../support/processes.js';

const lbClass = 'tsvs.io/ipvs';

function startController(kc: KubeConfig) {
  const log = createLogger('controller', 'warn');
  const controller = new LoadBalancerController(
    kc,
    { classConfig: { loadBalancerClass: lbClass, defaultClass: false } },
    createKubeWriter(kc),
    createEventRecorder(kc, 'tsvs-controller', log),
    createControllerMetrics(new Registry()),
    log,
  );
  return controller.start().then(() => controller);
}

describe('the load-balancer controller on a real kube-apiserver', () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  let ns: string;
  let controller: LoadBalancerController;

  const service = (name: string, extra: { annotations?: Record<string, string>; spec?: Partial<NonNullable<V1Service['spec']>> } = {}): V1Service => ({
    metadata: { name, annotations: extra.annotations },
    spec: { type: 'LoadBalancer', loadBalancerClass: lbClass, ports: [{ name: 'http', port: 80, protocol: 'TCP' }], selector: { app: name }, ...extra.spec },
  });
  const createService = (svc: V1Service) => core.createNamespacedService({ namespace: ns, body: svc });
  const readService = (name: string) => core.readNamespacedService({ namespace: ns, name });
  const readVs = async (name: string): Promise<VirtualServer | undefined> => {
    try {
      return (await custom.getNamespacedCustomObject({ group: 'tsvs.io', version: 'v1alpha1', plural: 'virtualservers', namespace: ns, name })) as VirtualServer;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  };
  const readPool = async (name: string) => (await custom.getClusterCustomObject({ group: 'tsvs.io', version: 'v1alpha1', plural: 'addresspools', name })) as AddressPool;
  const createPool = (name: string, spec: AddressPool['spec']) =>
    custom.createClusterCustomObject({ group: 'tsvs.io', version: 'v1alpha1', plural: 'addresspools', body: { apiVersion: 'tsvs.io/v1alpha1', kind: 'AddressPool', metadata: { name }, spec } });
  const ingressOf = async (name: string) => ((await readService(name)).status?.loadBalancer?.ingress ?? []).map((i) => `${i.ip}/${i.ipMode}`);
  const vipOf = async (name: string) => (await readVs(name))?.status?.vip;
  const condition = async (name: string, type: string) => (await readVs(name))?.status?.conditions?.find((c) => c.type === type);
  const waitForIngress = (name: string, count = 1) => waitFor(`ingress of ${name}`, async () => (await ingressOf(name)).length === count, 30_000);

  beforeAll(async () => {
    kc = testKubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    custom = kc.makeApiClient(CustomObjectsApi);
    ns = await createTestNamespace(kc, 'lb');
    const namespace = await core.readNamespace({ name: ns });
    namespace.metadata!.labels = { ...namespace.metadata!.labels, 'tsvs-test': ns };
    await core.replaceNamespace({ name: ns, body: namespace });
    await createPool(`${ns}-v4`, { addresses: ['192.0.2.0/30'], namespaceSelector: { matchLabels: { 'tsvs-test': ns } } });
    await createPool(`${ns}-v6`, { addresses: ['2001:db8:5::10-2001:db8:5::1f'], namespaceSelector: { matchLabels: { 'tsvs-test': ns } } });
    await createPool(`${ns}-manual`, { addresses: ['198.51.100.0/29'], autoAssign: false, namespaceSelector: { matchLabels: { 'tsvs-test': ns } } });
    controller = await startController(kc);
  });

  afterAll(async () => {
    await controller?.stop();
  });

  it('turns a LoadBalancer Service of its class into an owned VirtualServer with a VIP, and publishes it with ipMode Proxy', async () => {
    const created = await createService(service('web', { spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] } }));
    await waitForIngress('web');
    expect(await ingressOf('web')).toEqual(['192.0.2.0/Proxy']);
    const vs = (await readVs('web'))!;
    expect(vs.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Service', name: 'web', uid: created.metadata!.uid, controller: true })]);
    expect(vs.metadata.finalizers).toContain(virtualServerFinalizer);
    expect(vs.spec).toMatchObject({
      ipFamily: 'IPv4',
      forwardingMethod: 'DR',
      realServerPortRedirect: true,
      realServers: { serviceName: 'web' },
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, scheduler: 'mh', schedulerFlags: ['fallback', 'port'] }],
    });
    expect(vs.status?.conditions?.find((c) => c.type === 'VIPAllocated')).toMatchObject({ status: 'True', reason: 'Allocated', message: `192.0.2.0 from pool ${ns}-v4` });
    expect((await readService('web')).metadata!.finalizers).toContain(serviceFinalizer);
    await waitFor('the VIPAllocated event', async () => (await eventReasons(kc, ns, 'web')).includes('VIPAllocated'), 10_000);
  });

  it('leaves Services of another class, and unclassed ones, alone', async () => {
    await createService(service('other', { spec: { loadBalancerClass: 'example.com/other' } }));
    await createService(service('unclassed', { spec: { loadBalancerClass: undefined } }));
    await createService(service('probe'));
    await waitForIngress('probe');
    for (const name of ['other', 'unclassed']) {
      expect(await readVs(name)).toBeUndefined();
      expect((await readService(name)).metadata!.finalizers ?? []).not.toContain(serviceFinalizer);
    }
    await core.deleteNamespacedService({ namespace: ns, name: 'probe' });
    await waitFor('probe released', async () => (await readVs('probe')) === undefined, 30_000);
  });

  it('gives the address asked for by annotation or spec.loadBalancerIP, from a pool that is not auto-assigned', async () => {
    await createService(service('by-annotation', { annotations: { 'tsvs.io/loadBalancerIPs': '198.51.100.5' } }));
    await createService(service('by-spec', { spec: { loadBalancerIP: '198.51.100.6' } }));
    await waitForIngress('by-annotation');
    await waitForIngress('by-spec');
    expect(await ingressOf('by-annotation')).toEqual(['198.51.100.5/Proxy']);
    expect(await ingressOf('by-spec')).toEqual(['198.51.100.6/Proxy']);
  });

  it('shares one VIP between Services with a sharing key when their ports do not clash', async () => {
    const shared = { 'tsvs.io/allow-shared-ip': 'k', 'tsvs.io/address-pool': `${ns}-manual` };
    await createService(service('share-a', { annotations: shared }));
    await createService(service('share-b', { annotations: shared, spec: { ports: [{ port: 53, protocol: 'UDP' }] } }));
    await createService(service('share-c', { annotations: shared }));
    for (const name of ['share-a', 'share-b', 'share-c']) await waitForIngress(name);
    const [a, b, c] = await Promise.all(['share-a', 'share-b', 'share-c'].map(vipOf));
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it('reports an exhausted pool in status and events, and allocates once an address is released', async () => {
    await createService(service('fill-1'));
    await createService(service('fill-2'));
    await createService(service('fill-3'));
    await waitFor('the pool to be full', async () => (await Promise.all(['fill-1', 'fill-2', 'fill-3'].map(vipOf))).filter(Boolean).length === 3, 30_000);
    await createService(service('starved'));
    await waitFor('PoolExhausted', async () => (await condition('starved', 'VIPAllocated'))?.reason === 'PoolExhausted', 30_000);
    expect((await condition('starved', 'VIPAllocated'))?.message).toBe(`no free IPv4 address in pool ${ns}-v4`);
    expect(await ingressOf('starved')).toEqual([]);
    await waitFor('the Warning event', async () => (await eventReasons(kc, ns, 'starved')).includes('PoolExhausted'), 10_000);
    expect(await ingressOf('web')).toEqual(['192.0.2.0/Proxy']);
    await waitFor('pool status', async () => (await readPool(`${ns}-v4`)).status?.used === 4, 30_000);
    const freed = await vipOf('fill-2');
    await core.deleteNamespacedService({ namespace: ns, name: 'fill-2' });
    await waitFor('the Service to be gone', async () => !(await core.listNamespacedService({ namespace: ns })).items.some((s) => s.metadata?.name === 'fill-2'), 30_000);
    await waitFor('the starved Service to get the freed address', async () => (await ingressOf('starved'))[0] === `${freed}/Proxy`, 30_000);
  });

  it('follows a change of ports without moving the VIP', async () => {
    const before = await vipOf('web');
    const svc = await readService('web');
    svc.spec!.ports = [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 443 }];
    await core.replaceNamespacedService({ namespace: ns, name: 'web', body: svc });
    await waitFor('the VirtualServer ports', async () => (await readVs('web'))?.spec.ports[0]?.port === 443, 30_000);
    const vs = (await readVs('web'))!;
    expect(vs.spec.realServerPortRedirect).toBe(false);
    expect(vs.spec.ports).toEqual([{ name: 'https', protocol: 'TCP', port: 443, scheduler: 'mh', schedulerFlags: ['fallback', 'port'] }]);
    expect(vs.status?.vip).toBe(before);
  });

  it('gives a dual-stack Service one VirtualServer and one VIP per family', async () => {
    await createService(service('dual', { spec: { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'], loadBalancerIP: undefined }, annotations: { 'tsvs.io/loadBalancerIPs': '198.51.100.7' } }));
    await waitForIngress('dual', 2);
    expect(await ingressOf('dual')).toEqual(['198.51.100.7/Proxy', '2001:db8:5::10/Proxy']);
    expect((await readVs('dual-ipv6'))?.spec.ipFamily).toBe('IPv6');
  });

  it('keeps every allocation exactly across a controller restart, and allocates new ones around them', async () => {
    const names = ['web', 'by-annotation', 'share-a', 'share-b', 'share-c', 'fill-1', 'fill-3', 'starved', 'dual', 'dual-ipv6'];
    const before = await Promise.all(names.map(vipOf));
    await controller.stop();
    controller = await startController(kc);
    await controller.idle();
    expect(await Promise.all(names.map(vipOf))).toEqual(before);
    await createService(service('after-restart', { annotations: { 'tsvs.io/address-pool': `${ns}-manual` } }));
    await waitForIngress('after-restart');
    expect(before).not.toContain(await vipOf('after-restart'));
  });

  it('refuses bad requests with a condition or event and disturbs nothing else', async () => {
    await createService(service('bad-ip', { annotations: { 'tsvs.io/loadBalancerIPs': 'not-an-ip' } }));
    await createService(service('taken', { annotations: { 'tsvs.io/loadBalancerIPs': '198.51.100.5' } }));
    await createService(service('outside', { annotations: { 'tsvs.io/loadBalancerIPs': '203.0.113.1' } }));
    await createService(service('no-pool', { annotations: { 'tsvs.io/address-pool': 'does-not-exist' } }));
    await waitFor('InvalidLoadBalancerIPs event', async () => (await eventReasons(kc, ns, 'bad-ip')).includes('InvalidLoadBalancerIPs'), 30_000);
    await waitFor('AddressInUse', async () => (await condition('taken', 'VIPAllocated'))?.reason === 'AddressInUse', 30_000);
    expect((await condition('taken', 'VIPAllocated'))?.message).toBe(`address 198.51.100.5 is held by ${ns}/by-annotation`);
    await waitFor('NotInPool', async () => (await condition('outside', 'VIPAllocated'))?.reason === 'NotInPool', 30_000);
    await waitFor('PoolNotFound', async () => (await condition('no-pool', 'VIPAllocated'))?.reason === 'PoolNotFound', 30_000);
    expect(await readVs('bad-ip')).toBeUndefined();
    expect(await ingressOf('by-annotation')).toEqual(['198.51.100.5/Proxy']);
  });

  it('refuses an overlapping pool and a malformed one in their status, and reports node addresses left out', async () => {
    await createPool(`${ns}-overlap`, { addresses: ['192.0.2.2-192.0.2.9'] });
    await createPool(`${ns}-reversed`, { addresses: ['203.0.113.9-203.0.113.1'] });
    const node = await core.createNode({ body: { metadata: { name: `${ns}-node` } } });
    node.status = { addresses: [{ type: 'InternalIP', address: '203.0.114.5' }] };
    await core.replaceNodeStatus({ name: `${ns}-node`, body: node });
    await createPool(`${ns}-nodes`, { addresses: ['203.0.114.0/29'] });
    const ready = async (name: string) => (await readPool(name)).status?.conditions?.find((c) => c.type === 'Ready');
    await waitFor('Overlap', async () => (await ready(`${ns}-overlap`))?.reason === 'Overlap', 30_000);
    expect((await ready(`${ns}-overlap`))?.message).toContain(`overlaps pool ${ns}-v4`);
    await waitFor('InvalidAddresses', async () => (await ready(`${ns}-reversed`))?.reason === 'InvalidAddresses', 30_000);
    expect((await ready(`${ns}-reversed`))?.message).toBe('203.0.113.9-203.0.113.1: the first address is after the last');
    expect((await ready(`${ns}-v4`))?.status).toBe('True');
    const reserved = async () => (await readPool(`${ns}-nodes`)).status?.conditions?.find((c) => c.type === 'AddressesReserved');
    await waitFor('AddressesReserved', async () => (await reserved())?.status === 'True', 30_000);
    expect((await reserved())?.message).toBe('left out of the pool because nodes or Services use them: 203.0.114.5');
    expect((await readPool(`${ns}-nodes`)).status?.families).toEqual([{ family: 'IPv4', total: '7', used: 0 }]);
    expect(await ingressOf('web')).toHaveLength(1);
  });

  it('cleans up through finalizers: deleting the Service deletes its VirtualServers and releases the VIP', async () => {
    const vip = await vipOf('share-c');
    await core.deleteNamespacedService({ namespace: ns, name: 'share-c' });
    await waitFor('the VirtualServer to go', async () => (await readVs('share-c')) === undefined, 30_000);
    await waitFor('the Service to go', async () => !(await core.listNamespacedService({ namespace: ns })).items.some((s) => s.metadata?.name === 'share-c'), 30_000);
    await createService(service('reuse', { annotations: { 'tsvs.io/loadBalancerIPs': vip! } }));
    await waitFor('the released VIP to be reusable', async () => (await ingressOf('reuse'))[0] === `${vip}/Proxy`, 30_000);
  });

  it("derives masterNode, readyRealServers, Programmed and Ready from the speakers' entries of Ready nodes", async () => {
    const nodes = [`${ns}-n1`, `${ns}-n2`];
    const nodeReady = (name: string, status: 'True' | 'False') =>
      core.patchNodeStatus({ name, body: { status: { conditions: [{ type: 'Ready', status, reason: 'Test', message: 'test' }] } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const report = (node: string, entry: Omit<VirtualServerNodeStatus, 'name'>) =>
      applyVirtualServerStatus(custom, ns, 'ready', `tsvs-speaker-${node}`, { nodes: [{ name: node, ...entry }] });
    for (const name of nodes) {
      await core.createNode({ body: { metadata: { name } } });
      await nodeReady(name, 'True');
    }
    try {
      await createService(service('ready'));
      await waitForIngress('ready');
      await waitFor('Programmed False without speakers', async () => (await condition('ready', 'Programmed'))?.reason === 'NoMaster', 30_000);
      expect(await condition('ready', 'Ready')).toMatchObject({ status: 'False', reason: 'NoMaster' });

      await report(nodes[0]!, { role: 'Master', programmed: true, realServers: 3, message: 'tier 1' });
      await report(nodes[1]!, { role: 'Backup', programmed: true, realServers: 1, message: 'tier 2' });
      await waitFor('Ready', async () => (await condition('ready', 'Ready'))?.status === 'True', 30_000);
      expect((await readVs('ready'))?.status).toMatchObject({ masterNode: nodes[0], readyRealServers: 3 });
      expect(await condition('ready', 'Programmed')).toMatchObject({ status: 'True', message: `master ${nodes[0]}; 2 nodes programmed` });
      await waitFor('a Ready event', async () => (await eventReasons(kc, ns, 'ready')).includes('Ready'), 30_000);

      // The master's node dies: its entry stays (no speaker withdraws it) but no longer counts.
      await nodeReady(nodes[0]!, 'False');
      await waitFor('no master', async () => (await condition('ready', 'Programmed'))?.reason === 'NoMaster', 30_000);
      expect((await readVs('ready'))?.status?.masterNode).toBeUndefined();
      await report(nodes[1]!, { role: 'Master', programmed: false, realServers: 2, message: 'IPVS write failed: EINVAL' });
      await waitFor('the new master', async () => (await readVs('ready'))?.status?.masterNode === nodes[1], 30_000);
      expect(await condition('ready', 'Programmed')).toMatchObject({ status: 'False', reason: 'NodesNotProgrammed', message: `${nodes[1]}: IPVS write failed: EINVAL` });
      await report(nodes[1]!, { role: 'Master', programmed: true, realServers: 2, message: 'tier 1' });
      await waitFor('Ready again', async () => (await condition('ready', 'Ready'))?.status === 'True', 30_000);
      const status = (await readVs('ready'))!.status!;
      expect(status).toMatchObject({ vip: expect.any(String), masterNode: nodes[1], readyRealServers: 2 });
      expect(status.nodes?.map((n) => n.name).sort()).toEqual([...nodes].sort());
    } finally {
      for (const name of nodes) await core.deleteNode({ name });
    }
  });

  it('recreates a VirtualServer deleted under a live Service', async () => {
    const vip = await vipOf('by-spec');
    await custom.deleteNamespacedCustomObject({ group: 'tsvs.io', version: 'v1alpha1', plural: 'virtualservers', namespace: ns, name: 'by-spec' });
    await waitFor('a new VirtualServer', async () => (await vipOf('by-spec')) === vip && (await readVs('by-spec'))?.metadata.deletionTimestamp === undefined, 30_000);
  });
});
