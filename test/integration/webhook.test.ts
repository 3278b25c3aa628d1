import type { ChildProcess } from 'node:child_process';
import { AdmissionregistrationV1Api, CoreV1Api, CustomObjectsApi, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { VirtualServer } from '../../src/kube/virtualServer.js';
import { parseRealServerConfig, realServerAnnotation } from '../../src/realserver/realServerConfig.js';
import { startCli } from '../support/cli.js';
import { createTestNamespace, eventReasons, testKubeConfig, virtualServerApi } from '../support/kube.js';
import { freePort, stopProcess, waitFor } from '../support/processes.js';

const image = 'registry.invalid/tsvs:test';

describe('real-server pod webhook, registered for real on the kube-apiserver', () => {
  const kc = testKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const admission = kc.makeApiClient(AdmissionregistrationV1Api);
  const suffix = Math.random().toString(16).slice(2, 8);
  const configuration = `tsvs-realserver-pods-${suffix}`;
  const pool = `webhook-${suffix}`;
  const logs: Array<Record<string, unknown>> = [];
  let controller: ChildProcess | undefined;
  let ns: string;
  let other: string;
  let vs: ReturnType<typeof virtualServerApi>;

  const pod = (name: string, labels: Record<string, string>, extra: Partial<NonNullable<V1Pod['spec']>> = {}): V1Pod => ({
    metadata: { name, labels },
    spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }], ...extra },
  });
  const createPod = (namespace: string, body: V1Pod) => core.createNamespacedPod({ namespace, body });
  const readPod = (namespace: string, name: string) => core.readNamespacedPod({ namespace, name });
  const condition = async (name: string) => ((await vs.get(name)) as VirtualServer).status?.conditions?.find((c) => (c.type as string) === 'RealServerPods');

  beforeAll(async () => {
    ns = await createTestNamespace(kc, 'webhook');
    other = await createTestNamespace(kc, 'webhook-other');
    vs = virtualServerApi(kc, ns);
    await custom.createClusterCustomObject({
      group: 'tsvs.io',
      version: 'v1alpha1',
      plural: 'addresspools',
      body: { apiVersion: 'tsvs.io/v1alpha1', kind: 'AddressPool', metadata: { name: pool }, spec: { addresses: ['198.18.77.0/29'], autoAssign: false } },
    });
    await core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
    });
    await vs.create({
      apiVersion: 'tsvs.io/v1alpha1',
      kind: 'VirtualServer',
      metadata: { name: 'web' },
      spec: { pool, realServerPortRedirect: true, ports: [{ port: 80, targetPort: 8080 }], realServers: { serviceName: 'web' } },
    });
    const port = await freePort();
    controller = startCli(
      [
        'controller',
        '--kubeconfig', inject('kubeconfigPath'),
        '--metrics-address', '127.0.0.1:0',
        '--leader-elect', 'false',
        '--webhook-address', `127.0.0.1:${port}`,
        '--webhook-url', `https://127.0.0.1:${port}/mutate-pods`,
        '--webhook-cert-secret', `${ns}/tsvs-webhook-cert`,
        '--webhook-configuration', configuration,
        '--realserver-image', image,
      ],
      (entry) => logs.push(entry),
    );
    await waitFor('the webhook scoped to the test namespace', async () => {
      try {
        const c = await admission.readMutatingWebhookConfiguration({ name: configuration });
        return c.webhooks?.[0]?.namespaceSelector?.matchExpressions?.[0]?.values?.includes(ns) === true;
      } catch {
        return false;
      }
    }, 60_000);
    await waitFor('a VIP for the VirtualServer', async () => ((await vs.get('web')) as VirtualServer).status?.vip !== undefined, 30_000);
  });

  afterAll(async () => {
    if (controller) await stopProcess(controller);
    await admission.deleteMutatingWebhookConfiguration({ name: configuration }).catch(() => undefined);
    await custom.deleteClusterCustomObject({ group: 'tsvs.io', version: 'v1alpha1', plural: 'addresspools', name: pool }).catch(() => undefined);
  });

  it('registers one tightly scoped webhook with the CA bundle of the certificate it serves', async () => {
    const config = await admission.readMutatingWebhookConfiguration({ name: configuration });
    const [webhook] = config.webhooks ?? [];
    expect(config.webhooks).toHaveLength(1);
    expect(webhook!.failurePolicy).toBe('Ignore');
    expect(webhook!.sideEffects).toBe('None');
    expect(webhook!.rules).toEqual([{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }]);
    // Exactly the namespaces that hold VirtualServers (other test files leave theirs behind on the shared API server).
    const holding = (await custom.listClusterCustomObject({ group: 'tsvs.io', version: 'v1alpha1', plural: 'virtualservers' })) as { items: Array<{ metadata: { namespace: string } }> };
    expect(webhook!.namespaceSelector!.matchExpressions![0]!.values).toEqual([...new Set(holding.items.map((vs) => vs.metadata.namespace))].sort());
    expect(webhook!.namespaceSelector!.matchExpressions![0]!.values).toContain(ns);
    const secret = await core.readNamespacedSecret({ namespace: ns, name: 'tsvs-webhook-cert' });
    expect(webhook!.clientConfig.caBundle).toBe(secret.data!['ca-bundle.crt']);
  });

  it('gives a pod selected through its Service the init container, the volume and the annotation with the VIP and redirect', async () => {
    const vip = ((await vs.get('web')) as VirtualServer).status!.vip!;
    const created = await createPod(ns, pod('web-1', { app: 'web' }, { initContainers: [{ name: 'migrate', image: 'registry.invalid/app:1' }] }));
    const spec = created.spec!;
    expect(spec.initContainers!.map((c) => c.name)).toEqual(['tsvs-realserver', 'migrate']);
    const init = spec.initContainers![0]!;
    expect(init.image).toBe(image);
    expect(init.args).toEqual(['realserver-init', '--config-file', '/etc/tsvs-realserver/config.json', '--wait']);
    expect(init.securityContext!.capabilities).toEqual({ add: ['NET_ADMIN'], drop: ['ALL'] });
    expect(init.volumeMounts).toEqual([{ name: 'tsvs-realserver', mountPath: '/etc/tsvs-realserver', readOnly: true }]);
    expect(spec.volumes!.find((v) => v.name === 'tsvs-realserver')!.downwardAPI!.items![0]!.fieldRef!.fieldPath).toBe(`metadata.annotations['${realServerAnnotation}']`);
    expect(parseRealServerConfig(created.metadata!.annotations![realServerAnnotation]!)).toEqual({
      vips: [vip],
      redirects: [{ vip, protocol: 'tcp', port: 80, targetPort: 8080 }],
    });
    expect(spec.containers.map((c) => c.name)).toEqual(['app']);
  });

  it('leaves unrelated pods untouched: other labels, another namespace, or labelled out', async () => {
    for (const [namespace, body] of [
      [ns, pod('db-1', { app: 'db' })],
      [other, pod('web-1', { app: 'web' })],
    ] as const) {
      const created = await createPod(namespace, body);
      expect(created.spec!.initContainers).toBeUndefined();
      expect(created.spec!.volumes?.some((v) => v.name === 'tsvs-realserver')).toBeFalsy();
      expect(created.metadata!.annotations?.[realServerAnnotation]).toBeUndefined();
    }
  });

  it('refuses a selected hostNetwork pod, with the reason', async () => {
    const err = await createPod(ns, pod('web-host', { app: 'web' }, { hostNetwork: true })).then(
      () => undefined,
      (e: { code?: number; body?: string }) => e,
    );
    expect(err?.code).toBe(422);
    expect(JSON.parse(err!.body!).message).toMatch(/hostNetwork: the real-server init container would put the VIPs on the node's own lo/);
  });

  it('refuses a selected pod whose own container is named like the injected one', async () => {
    const err = await createPod(ns, { metadata: { name: 'web-clash', labels: { app: 'web' } }, spec: { containers: [{ name: 'tsvs-realserver', image: 'x' }] } }).then(
      () => undefined,
      (e: { code?: number; body?: string }) => e,
    );
    expect(err?.code).toBe(422);
    expect(JSON.parse(err!.body!).message).toMatch(/clashes with the one tsvs injects/);
  });

  it('gives a pod created before its VIP existed the VIP once allocated (the init container waits on the annotation)', async () => {
    await vs.create({
      apiVersion: 'tsvs.io/v1alpha1',
      kind: 'VirtualServer',
      metadata: { name: 'late' },
      spec: { pool: `${pool}-later`, ports: [{ port: 443 }], realServers: { selector: { matchLabels: { app: 'late' } } } },
    });
    await waitFor('the VirtualServer to be seen by the webhook', async () => logs.some((l) => l.event === 'webhook.configuration-applied') && (await condition('late')) !== undefined, 30_000);
    const created = await createPod(ns, pod('late-1', { app: 'late' }));
    expect(parseRealServerConfig(created.metadata!.annotations![realServerAnnotation]!)).toEqual({ vips: [], redirects: [] });
    await custom.createClusterCustomObject({
      group: 'tsvs.io',
      version: 'v1alpha1',
      plural: 'addresspools',
      body: { apiVersion: 'tsvs.io/v1alpha1', kind: 'AddressPool', metadata: { name: `${pool}-later` }, spec: { addresses: ['198.18.78.0/30'], autoAssign: false } },
    });
    await waitFor('the late VIP in the pod annotation', async () => {
      const text = (await readPod(ns, 'late-1')).metadata?.annotations?.[realServerAnnotation];
      return text !== undefined && parseRealServerConfig(text).vips.length > 0;
    }, 30_000);
    const vip = ((await vs.get('late')) as VirtualServer).status!.vip!;
    expect(parseRealServerConfig((await readPod(ns, 'late-1')).metadata!.annotations![realServerAnnotation]!).vips).toEqual([vip]);
    await custom.deleteClusterCustomObject({ group: 'tsvs.io', version: 'v1alpha1', plural: 'addresspools', name: `${pool}-later` }).catch(() => undefined);
  });

  it('reports a selected pod that came without the init container in the VirtualServer status and events', async () => {
    await createPod(ns, pod('web-optout', { app: 'web', 'tsvs.io/realserver-inject': 'false' }));
    await waitFor('RealServerPods=False PodsNotInjected', async () => (await condition('web'))?.reason === 'PodsNotInjected', 30_000);
    expect((await condition('web'))!.message).toContain('web-optout');
    await waitFor('a PodsNotInjected event', async () => (await eventReasons(kc, ns, 'web')).includes('PodsNotInjected'), 30_000);
  });

  it('in a namespace enforcing Pod Security baseline: creates the pod unmutated with a warning, and says why in status and events', async () => {
    const strict = `webhook-baseline-${suffix}`;
    await core.createNamespace({ body: { metadata: { name: strict, labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } } });
    const strictVs = virtualServerApi(kc, strict);
    await strictVs.create({
      apiVersion: 'tsvs.io/v1alpha1',
      kind: 'VirtualServer',
      metadata: { name: 'strict' },
      spec: { pool, ports: [{ port: 80 }], realServers: { selector: { matchLabels: { app: 'strict' } } } },
    });
    await waitFor('the webhook to cover the baseline namespace', async () => {
      const c = await admission.readMutatingWebhookConfiguration({ name: configuration });
      return c.webhooks?.[0]?.namespaceSelector?.matchExpressions?.[0]?.values?.includes(strict) === true;
    }, 30_000);
    const created = await createPod(strict, pod('strict-1', { app: 'strict' }));
    expect(created.spec!.initContainers).toBeUndefined();
    expect(logs.some((l) => l.event === 'webhook.mutated' && l.pod === 'strict-1' && String(l.warnings).includes('forbids the NET_ADMIN capability'))).toBe(true);
    await waitFor('RealServerPods=False PodSecurityForbidsNetAdmin', async () => {
      const vsNow = (await strictVs.get('strict')) as VirtualServer;
      return vsNow.status?.conditions?.some((c) => (c.type as string) === 'RealServerPods' && c.reason === 'PodSecurityForbidsNetAdmin') === true;
    }, 30_000);
    await waitFor('a PodSecurityForbidsNetAdmin event', async () => (await eventReasons(kc, strict, 'strict')).includes('PodSecurityForbidsNetAdmin'), 30_000);
  });

  it('does not block pod creation while the webhook is down (failurePolicy Ignore)', async () => {
    await stopProcess(controller!);
    controller = undefined;
    const created = await createPod(ns, pod('web-down', { app: 'web' }));
    expect(created.spec!.initContainers).toBeUndefined();
  });
});
