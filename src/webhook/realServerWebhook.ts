import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesListObject,
  type V1Namespace,
  type V1Pod,
  type V1Service,
} from '@kubernetes/client-node';
import { withCondition, type Condition } from '../controllers/conditions.js';
import type { EventRecorder } from '../controllers/eventRecorder.js';
import { applyVirtualServerStatus, statusFieldManagers } from '../controllers/kubeWriter.js';
import { virtualServerResource, type VirtualServer, type VirtualServerStatus } from '../kube/virtualServer.js';
import { startWatchedCache, type WatchedCache } from '../kube/watchedCache.js';
import type { Logger } from '../log.js';
import { realServerAnnotation } from '../realserver/realServerConfig.js';
import { ensureCertificateSecret, type SecretRef } from './certificateSecret.js';
import { admitPod, type InjectionSettings } from './podMutation.js';
import { selectingVirtualServers } from './podSelection.js';
import { planRealServerPods, realServerPodsCondition } from './realServerPodsPlan.js';
import { applyWebhookConfiguration, desiredWebhook, type WebhookEndpoint } from './webhookConfiguration.js';
import { startWebhookServer, type WebhookServer } from './webhookServer.js';

export interface RealServerWebhookOptions {
  host: string;
  port: number;
  endpoint: WebhookEndpoint;
  /** DNS names and IPs the serving certificate is for. */
  hosts: string[];
  certificateSecret: SecretRef;
  configurationName: string;
  injection: InjectionSettings;
  /** The pod annotations and VirtualServer conditions are written by the leader only. */
  isLeader: () => boolean;
  /** Certificates and configuration are checked this often (and on every change of the caches). */
  resyncMs?: number;
}

const podSecurityLabel = 'pod-security.kubernetes.io/enforce';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * The admission webhook and what keeps it honest: the HTTPS server (every replica), its
 * certificates in a Secret (renewed in place), the MutatingWebhookConfiguration scoped to the
 * namespaces that hold VirtualServers, and, on the leader, the late-VIP annotations and the
 * VirtualServers' RealServerPods condition.
 */
export async function startRealServerWebhook(kc: KubeConfig, options: RealServerWebhookOptions, recordEvent: EventRecorder, log: Logger) {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const admission = kc.makeApiClient(AdmissionregistrationV1Api);
  const { group, version, plural } = virtualServerResource;
  let certificates = await ensureCertificateSecret(core, options.certificateSecret, options.hosts, log);

  let scheduled: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const schedule = () => {
    if (stopped || scheduled) return;
    // Coalesces a burst of watch events into one pass.
    scheduled = setTimeout(() => {
      scheduled = undefined;
      running = running.then(sync).catch((err: unknown) => log.warn({ event: 'webhook.sync-failed', err: String(err) }, 'real-server webhook sync failed; retrying at the next resync'));
    }, 200);
  };
  const onChange = { onChange: () => schedule() };
  const caches: Array<WatchedCache<never>> = [];
  const watch = async <T extends object>(c: Promise<WatchedCache<T & { metadata?: object }>>) => {
    const cache = await c;
    caches.push(cache as unknown as WatchedCache<never>);
    return cache;
  };
  const namespaces = await watch<V1Namespace>(startWatchedCache(kc, '/api/v1/namespaces', () => core.listNamespace(), onChange, log));
  const services = await watch<V1Service>(startWatchedCache(kc, '/api/v1/services', () => core.listServiceForAllNamespaces(), onChange, log));
  const pods = await watch<V1Pod>(startWatchedCache(kc, '/api/v1/pods', () => core.listPodForAllNamespaces(), onChange, log));
  const virtualServers = await watch<VirtualServer>(
    startWatchedCache(
      kc,
      `/apis/${group}/${version}/${plural}`,
      () => custom.listClusterCustomObject({ group, version, plural }) as Promise<KubernetesListObject<VirtualServer>>,
      onChange,
      log,
    ),
  );
  const service = (namespace: string, name: string) => services.get(name, namespace);
  const enforce = (namespace: string) => namespaces.get(namespace)?.metadata?.labels?.[podSecurityLabel];

  const server: WebhookServer = await startWebhookServer({
    host: options.host,
    port: options.port,
    tls: certificates.serving,
    admit: (pod) =>
      admitPod(
        pod,
        { selectedBy: selectingVirtualServers(pod, virtualServers.list(pod.metadata?.namespace), service), podSecurityEnforce: enforce(pod.metadata?.namespace ?? '') },
        options.injection,
      ),
    log,
  });
  log.info({ event: 'webhook.listening', port: server.port }, 'serving the real-server pod webhook');

  const reported = new Map<string, string>();
  async function sync(): Promise<void> {
    const renewed = await ensureCertificateSecret(core, options.certificateSecret, options.hosts, log);
    if (renewed.serving.cert !== certificates.serving.cert) server.setCertificate(renewed.serving);
    certificates = renewed;
    const all = virtualServers.list();
    const withVs = [...new Set(all.map((vs) => vs.metadata.namespace ?? ''))].filter(Boolean);
    await applyWebhookConfiguration(admission, options.configurationName, desiredWebhook(options.endpoint, certificates.caBundle, withVs), log);
    if (!options.isLeader()) return;
    const plan = planRealServerPods({ virtualServers: all, pods: withVs.flatMap((ns) => pods.list(ns)), service, podSecurityEnforce: enforce });
    for (const { namespace, name, value } of plan.annotate) {
      await core.patchNamespacedPod({ namespace, name, body: { metadata: { annotations: { [realServerAnnotation]: value } } } }, mergePatch);
      log.info({ event: 'webhook.late-vip', namespace, pod: name, config: value }, 'gave a waiting real-server pod its VIPs');
    }
    for (const vs of all) {
      const k = `${vs.metadata.namespace}/${vs.metadata.name}`;
      const next = plan.conditions.get(k);
      if (!next) continue;
      const current = (vs.status?.conditions as Condition[] | undefined)?.find((c) => c.type === realServerPodsCondition);
      if (current?.status !== next.status || current.reason !== next.reason || current.message !== next.message) {
        const conditions = withCondition(vs.status?.conditions as Condition[] | undefined, { type: realServerPodsCondition, ...next, observedGeneration: vs.metadata.generation }, new Date());
        const own = conditions.filter((c) => c.type === realServerPodsCondition) as VirtualServerStatus['conditions'];
        await applyVirtualServerStatus(custom, vs.metadata.namespace!, vs.metadata.name, statusFieldManagers.realServerPods, { conditions: own });
      }
      const said = `${next.reason} ${next.message}`;
      if (next.status === 'False' && reported.get(k) !== said) recordEvent(vs, 'Warning', next.reason, next.message);
      reported.set(k, said);
    }
  }
  schedule();
  const resync = setInterval(schedule, options.resyncMs ?? 60_000);

  return {
    port: server.port,
    stop: async () => {
      stopped = true;
      clearInterval(resync);
      clearTimeout(scheduled);
      await running;
      await server.close();
      await Promise.all(caches.map((c) => c.stop()));
    },
  };
}
