import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdmissionregistrationV1Api,
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
  type V1Deployment,
  type V1ResourceAttributes,
} from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { VirtualServer } from '../../src/kube/virtualServer.js';
import { createSpeakerMetrics } from '../../src/metrics/speakerMetrics.js';
import { startClusterSources } from '../../src/speaker/clusterSources.js';
import { Speaker } from '../../src/speaker/speaker.js';
import { speakerStatusApplier, StatusPublisher } from '../../src/speaker/statusPublisher.js';
import { buildHelm, chartDir, helm } from '../helm-bin/helm.js';
import { startCli } from '../support/cli.js';
import { createTestNamespace, eventReasons, testKubeConfig } from '../support/kube.js';
import { RecordingKernel } from '../support/recordingKernel.js';
import { freePort, stopProcess, waitFor } from '../support/processes.js';

/** A client authenticated by a bearer token alone (no admin certificate or token). */
function tokenKubeConfig(admin: KubeConfig, token: string): KubeConfig {
  const cluster = admin.getCurrentCluster()!;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: cluster.server, caData: cluster.caData, skipTLSVerify: false }],
    users: [{ name: 'sa', token }],
    contexts: [{ name: 'sa', cluster: 'test', user: 'sa' }],
    currentContext: 'sa',
  });
  return kc;
}

const statusCode = (request: Promise<unknown>) => request.then(() => 200, (err: { code?: number }) => err.code ?? 0);

describe('the chart installed with helm: the controller under its own ServiceAccount and RBAC', () => {
  const release = `rbac-${randomBytes(3).toString('hex')}`;
  const serviceAccount = `${release}-tsvs-controller`;
  const pool = `${release}-pool`;
  const logs: Array<Record<string, unknown>> = [];
  let helmBin: string;
  let admin: KubeConfig;
  let asController: KubeConfig;
  let namespace: string;
  let appNamespace: string;
  let workDir: string;
  let controller: ChildProcess | undefined;
  /** The webhook's names as the chart configures the controller (TSVS_WEBHOOK_* of its Deployment). */
  let webhookEnv: Record<string, string>;
  const webhookObjects = () => ({
    secret: webhookEnv.TSVS_WEBHOOK_CERT_SECRET!.split('/')[1]!,
    configuration: webhookEnv.TSVS_WEBHOOK_CONFIGURATION!,
  });

  beforeAll(async () => {
    helmBin = await buildHelm();
    admin = testKubeConfig();
    namespace = await createTestNamespace(admin, 'release');
    appNamespace = await createTestNamespace(admin, 'rbac-app');
    workDir = mkdtempSync(join(tmpdir(), 'tsvs-rbac-'));
  }, 40 * 60_000);

  afterAll(async () => {
    if (controller) await stopProcess(controller);
    // Cluster-scoped and written by the controller, so helm uninstall leaves it.
    if (webhookEnv) await statusCode(admin.makeApiClient(AdmissionregistrationV1Api).deleteMutatingWebhookConfiguration({ name: webhookObjects().configuration }));
    if (helmBin) await helm(helmBin, ['uninstall', release, '--namespace', namespace, '--kubeconfig', inject('kubeconfigPath')]);
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('helm install creates every object of the release', async () => {
    const pools = [{ name: pool, addresses: ['198.18.42.0/29'], autoAssign: false }];
    const install = await helm(helmBin, ['install', release, chartDir, '--namespace', namespace, '--kubeconfig', inject('kubeconfigPath'), '--set-json', `addressPools=${JSON.stringify(pools)}`]);
    expect(install.status, install.stderr).toBe(0);
    expect(install.stdout).toContain('STATUS: deployed');
    const manifest = await helm(helmBin, ['get', 'manifest', release, '--namespace', namespace, '--kubeconfig', inject('kubeconfigPath')]);
    const objects = (loadAll(manifest.stdout) as Array<KubernetesObject | null>).filter((o): o is KubernetesObject => o !== null);
    expect(objects.map((o) => o.kind).sort()).toEqual(
      ['AddressPool', 'ClusterRole', 'ClusterRole', 'ClusterRoleBinding', 'ClusterRoleBinding', 'DaemonSet', 'Deployment', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'Service', 'ServiceAccount', 'ServiceAccount'].sort(),
    );
    const deployment = objects.find((o): o is V1Deployment => o.kind === 'Deployment')!;
    webhookEnv = Object.fromEntries(deployment.spec!.template.spec!.containers[0]!.env!.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
    expect(webhookEnv.TSVS_WEBHOOK_CERT_SECRET).toBe(`${namespace}/${release}-tsvs-webhook-cert`);
    const objectApi = KubernetesObjectApi.makeApiClient(admin);
    for (const object of objects) {
      const stored = await objectApi.read({ apiVersion: object.apiVersion!, kind: object.kind!, metadata: { name: object.metadata!.name!, namespace: object.metadata!.namespace ?? '' } });
      expect(stored.metadata!.labels!['app.kubernetes.io/instance'], `${object.kind}/${object.metadata!.name}`).toBe(release);
    }
  });

  it("authenticates with a token of the chart's ServiceAccount (TokenRequest)", async () => {
    const request = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
      name: serviceAccount,
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    asController = tokenKubeConfig(admin, request.status!.token);
    const review = await asController.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status!.userInfo!.username).toBe(`system:serviceaccount:${namespace}:${serviceAccount}`);
    expect(review.status!.userInfo!.groups).not.toContain('system:masters');
  });

  it('does its whole job with only that RBAC: a LoadBalancer Service of its class gets its VIP from the pool, the webhook its certificates and configuration', async () => {
    const kubeconfig = join(workDir, 'kubeconfig');
    writeFileSync(kubeconfig, asController.exportConfig(), { mode: 0o600 });
    // The chart's webhook names; the API server reaches this controller on loopback, so by URL
    // instead of the chart's Service.
    const webhookPort = await freePort();
    controller = startCli(
      [
        'controller',
        '--kubeconfig', kubeconfig,
        '--metrics-address', '127.0.0.1:0',
        '--leader-election-namespace', namespace,
        '--identity', 'rbac-test',
        '--webhook-address', `127.0.0.1:${webhookPort}`,
        '--webhook-url', `https://127.0.0.1:${webhookPort}/mutate-pods`,
        '--webhook-cert-secret', webhookEnv.TSVS_WEBHOOK_CERT_SECRET!,
        '--webhook-configuration', webhookObjects().configuration,
        '--realserver-image', 'registry.invalid/tsvs:test',
      ],
      (entry) => logs.push(entry),
    );
    await waitFor('the controller to become active', async () => logs.some((l) => l.event === 'controller.started'), 60_000);

    const core = admin.makeApiClient(CoreV1Api);
    await core.createNamespacedService({
      namespace: appNamespace,
      body: {
        metadata: { name: 'web', annotations: { 'tsvs.io/address-pool': pool } },
        spec: { type: 'LoadBalancer', loadBalancerClass: 'tsvs.io/ipvs', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] },
      },
    });
    await waitFor('the Service ingress IP', async () => (await core.readNamespacedService({ namespace: appNamespace, name: 'web' })).status?.loadBalancer?.ingress?.[0]?.ip === '198.18.42.0', 30_000);

    const custom = admin.makeApiClient(CustomObjectsApi);
    const vs = (await custom.getNamespacedCustomObject({ group: 'tsvs.io', version: 'v1alpha1', plural: 'virtualservers', namespace: appNamespace, name: 'web' })) as VirtualServer;
    expect(vs.status?.vip).toBe('198.18.42.0');
    await waitFor('the pool status counts the address', async () => {
      const p = (await custom.getClusterCustomObject({ group: 'tsvs.io', version: 'v1alpha1', plural: 'addresspools', name: pool })) as { status?: { used?: number } };
      return p.status?.used === 1;
    }, 30_000);
    await waitFor('events about the Service', async () => (await eventReasons(admin, appNamespace, 'web')).length > 0, 30_000);
    const lease = await admin.makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace, name: 'tsvs-controller' });
    expect(lease.spec!.holderIdentity).toBe('rbac-test');

    // The webhook: its Secret created, its configuration created, then replaced to cover the
    // namespace that now holds a VirtualServer.
    const admission = admin.makeApiClient(AdmissionregistrationV1Api);
    await waitFor('the webhook configuration scoped to the app namespace', async () => {
      const c = await admission.readMutatingWebhookConfiguration({ name: webhookObjects().configuration }).catch(() => undefined);
      return c?.webhooks?.[0]?.namespaceSelector?.matchExpressions?.[0]?.values?.includes(appNamespace) === true;
    }, 60_000);
    const configuration = await admission.readMutatingWebhookConfiguration({ name: webhookObjects().configuration });
    expect(configuration.webhooks![0]!.clientConfig.url).toBe(`https://127.0.0.1:${webhookPort}/mutate-pods`);
    const secret = await core.readNamespacedSecret({ namespace, name: webhookObjects().secret });
    expect(Object.keys(secret.data!).sort()).toEqual(['ca-bundle.crt', 'ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
    expect(logs.some((l) => l.event === 'webhook.listening')).toBe(true);
    // Nothing the controller tried was refused.
    expect(logs.filter((l) => /forbidden|\b403\b/i.test(JSON.stringify(l)))).toEqual([]);
  });

  it("runs the speaker's Kubernetes side under the speaker's ServiceAccount: it reads what it programs from and writes its status entry, nothing else", async () => {
    const request = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({ name: `${release}-tsvs-speaker`, namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
    const asSpeaker = tokenKubeConfig(admin, request.status!.token);
    const warnings: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
    let onChange = (): void => undefined;
    const sources = await startClusterSources(asSpeaker, () => onChange(), log);
    const speaker = new Speaker(
      { nodeName: 'rbac-node', defaultAdvertIntervalMs: 1000, resyncIntervalMs: 60_000, statsIntervalMs: 60_000 },
      {
        sources,
        createKernel: (hooks) => new RecordingKernel(hooks),
        status: new StatusPublisher(speakerStatusApplier(asSpeaker, 'rbac-node'), log),
        metrics: createSpeakerMetrics(new Registry()),
        log,
      },
    );
    onChange = () => speaker.requestSync();
    try {
      await speaker.start();
      const custom = admin.makeApiClient(CustomObjectsApi);
      await waitFor('the speaker in status.nodes', async () => {
        const vs = (await custom.getNamespacedCustomObject({ group: 'tsvs.io', version: 'v1alpha1', plural: 'virtualservers', namespace: appNamespace, name: 'web' })) as VirtualServer;
        return vs.status?.nodes?.some((n) => n.name === 'rbac-node') === true;
      }, 30_000);
    } finally {
      await speaker.stop();
      await sources.stop();
    }
    expect(warnings.filter((l) => /forbidden|\b403\b/i.test(l))).toEqual([]);
    const refused = (call: Promise<unknown>) => statusCode(call);
    const asSpeakerCustom = asSpeaker.makeApiClient(CustomObjectsApi);
    const vsRef = { group: 'tsvs.io', version: 'v1alpha1', plural: 'virtualservers', namespace: appNamespace, name: 'web' };
    expect(await refused(asSpeakerCustom.patchNamespacedCustomObject({ ...vsRef, body: { spec: { pool: 'x' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)))).toBe(403);
    expect(await refused(asSpeaker.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace }))).toBe(403);
    expect(await refused(asSpeaker.makeApiClient(CoreV1Api).listServiceForAllNamespaces())).toBe(403);
  });

  it('cleans up with only that RBAC: deleting the Service removes its finalizer and its VirtualServer', async () => {
    const core = admin.makeApiClient(CoreV1Api);
    await core.deleteNamespacedService({ namespace: appNamespace, name: 'web' });
    await waitFor('the Service to be gone', async () => (await statusCode(core.readNamespacedService({ namespace: appNamespace, name: 'web' }))) === 404, 30_000);
    const custom = admin.makeApiClient(CustomObjectsApi);
    await waitFor('the VirtualServer to be gone', async () => (await statusCode(custom.getNamespacedCustomObject({ group: 'tsvs.io', version: 'v1alpha1', plural: 'virtualservers', namespace: appNamespace, name: 'web' }))) === 404, 30_000);
    expect(logs.filter((l) => /forbidden|\b403\b/i.test(JSON.stringify(l)))).toEqual([]);
  });

  it('may do what its rules say and nothing more (SelfSubjectAccessReview as the ServiceAccount)', async () => {
    const may = async (attributes: V1ResourceAttributes) =>
      (await asController.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: attributes } } })).status!.allowed;
    const granted: V1ResourceAttributes[] = [
      { verb: 'watch', resource: 'services' },
      { verb: 'patch', resource: 'services', subresource: 'status', namespace: appNamespace },
      { verb: 'create', group: 'tsvs.io', resource: 'virtualservers', namespace: appNamespace },
      { verb: 'patch', group: 'tsvs.io', resource: 'addresspools', subresource: 'status' },
      { verb: 'list', resource: 'nodes' },
      { verb: 'watch', group: 'networking.k8s.io', resource: 'servicecidrs' },
      { verb: 'create', resource: 'events', namespace: appNamespace },
      { verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace, name: 'tsvs-controller' },
      { verb: 'list', resource: 'pods' },
      { verb: 'watch', resource: 'pods' },
      { verb: 'patch', resource: 'pods', namespace: appNamespace },
      { verb: 'create', resource: 'secrets', namespace },
      { verb: 'get', resource: 'secrets', namespace, name: webhookObjects().secret },
      { verb: 'update', resource: 'secrets', namespace, name: webhookObjects().secret },
      { verb: 'create', group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations' },
      { verb: 'get', group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations', name: webhookObjects().configuration },
      { verb: 'update', group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations', name: webhookObjects().configuration },
    ];
    const refused: V1ResourceAttributes[] = [
      { verb: 'get', resource: 'secrets', namespace },
      { verb: 'list', resource: 'secrets' },
      { verb: 'list', resource: 'secrets', namespace },
      { verb: 'watch', resource: 'secrets', namespace },
      { verb: 'get', resource: 'secrets', namespace, name: 'someone-else' },
      { verb: 'delete', resource: 'secrets', namespace, name: webhookObjects().secret },
      { verb: 'get', resource: 'secrets', namespace: appNamespace, name: webhookObjects().secret },
      { verb: 'create', resource: 'secrets', namespace: appNamespace },
      { verb: 'get', resource: 'pods', namespace: appNamespace },
      { verb: 'delete', resource: 'pods', namespace: appNamespace },
      { verb: 'update', group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations', name: 'someone-else' },
      { verb: 'delete', group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations', name: webhookObjects().configuration },
      { verb: 'list', group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations' },
      { verb: 'create', group: 'admissionregistration.k8s.io', resource: 'validatingwebhookconfigurations' },
      { verb: 'delete', resource: 'nodes', name: 'node-1' },
      { verb: 'patch', resource: 'nodes', name: 'node-1' },
      { verb: 'create', resource: 'services', namespace: appNamespace },
      { verb: 'delete', resource: 'services', namespace: appNamespace },
      { verb: 'update', resource: 'services', namespace: appNamespace },
      { verb: 'create', resource: 'pods', namespace: appNamespace },
      { verb: 'get', resource: 'configmaps', namespace },
      { verb: 'patch', group: 'apps', resource: 'deployments', namespace },
      { verb: 'create', group: 'tsvs.io', resource: 'addresspools' },
      { verb: 'delete', group: 'tsvs.io', resource: 'addresspools' },
      { verb: 'patch', group: 'tsvs.io', resource: 'addresspools' },
      { verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-system', name: 'tsvs-controller' },
      { verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace, name: 'someone-else' },
      { verb: 'delete', group: 'coordination.k8s.io', resource: 'leases', namespace, name: 'tsvs-controller' },
      { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings' },
      { verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'clusterroles' },
      { verb: 'impersonate', resource: 'users' },
    ];
    for (const attributes of granted) expect(await may(attributes), `may ${JSON.stringify(attributes)}`).toBe(true);
    for (const attributes of refused) expect(await may(attributes), `may not ${JSON.stringify(attributes)}`).toBe(false);
  });

  it('is refused with 403 when it tries: reading Secrets, another webhook configuration, deleting a Node, writing a Lease elsewhere', async () => {
    const core = asController.makeApiClient(CoreV1Api);
    expect(await statusCode(core.listSecretForAllNamespaces())).toBe(403);
    expect(await statusCode(core.listNamespacedSecret({ namespace }))).toBe(403);
    expect(await statusCode(core.readNamespacedSecret({ namespace, name: 'someone-else' }))).toBe(403);
    expect(await statusCode(asController.makeApiClient(AdmissionregistrationV1Api).readMutatingWebhookConfiguration({ name: 'someone-else' }))).toBe(403);
    expect(await statusCode(core.deleteNode({ name: 'node-1' }))).toBe(403);
    const leases = asController.makeApiClient(CoordinationV1Api);
    expect(await statusCode(leases.createNamespacedLease({ namespace: 'default', body: { metadata: { name: 'tsvs-controller' }, spec: { holderIdentity: 'intruder' } } }))).toBe(403);
    // The same reads succeed for the admin, so the 403s are RBAC's and not a missing object.
    expect(await statusCode(admin.makeApiClient(CoreV1Api).listSecretForAllNamespaces())).toBe(200);
  });
});
