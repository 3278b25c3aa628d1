import { CoreV1Api, CustomObjectsApi, DiscoveryV1Api, type KubeConfig, type KubernetesListObject, type KubernetesObject, type V1EndpointSlice, type V1Node, type V1Pod } from '@kubernetes/client-node';
import { virtualServerResource } from '../kube/virtualServer.js';
import { startWatchedCache } from '../kube/watchedCache.js';
import type { Logger } from '../log.js';
import { eligibleNode } from './desired/vrrpGroups.js';
import { selectsPods, sliceMatters } from './relevantChanges.js';
import type { SpeakerSources } from './speaker.js';

export interface ClusterSources extends SpeakerSources {
  /** Every cache has listed once. */
  synced(): boolean;
  stop(): Promise<void>;
}

/**
 * list+watch caches of what a speaker decides from. Every node needs every endpoint (tier 1
 * on a master sends to all of them), so nothing is filtered by node. A cache keeps its last
 * contents while the API server is unreachable, and so the node keeps running on them.
 */
export async function startClusterSources(kc: KubeConfig, onChange: () => void, log: Logger): Promise<ClusterSources> {
  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const { group, version, plural } = virtualServerResource;
  const handlers = { onChange: () => onChange() };
  const virtualServers = await startWatchedCache<KubernetesObject>(
    kc,
    `/apis/${group}/${version}/${plural}`,
    () => custom.listClusterCustomObject({ group, version, plural }) as Promise<KubernetesListObject<KubernetesObject>>,
    handlers,
    log,
  );
  const ofNamespace = (object: KubernetesObject) => virtualServers.list(object.metadata?.namespace);
  const endpointSlices = await startWatchedCache<V1EndpointSlice>(kc, '/apis/discovery.k8s.io/v1/endpointslices', () => discovery.listEndpointSliceForAllNamespaces(), {
    onChange: (slice) => {
      if (sliceMatters(slice, ofNamespace(slice))) onChange();
    },
  }, log);
  const pods = await startWatchedCache<V1Pod>(kc, '/api/v1/pods', () => core.listPodForAllNamespaces(), {
    onChange: (pod) => {
      if (selectsPods(ofNamespace(pod))) onChange();
    },
  }, log);
  // Node status changes often (conditions, images); only eligibility moves VRRP priorities.
  const eligible = new Map<string, boolean>();
  const nodes = await startWatchedCache<V1Node>(kc, '/api/v1/nodes', () => core.listNode(), {
    onChange: (node, change) => {
      const name = node.metadata?.name ?? '';
      const now = change !== 'delete' && eligibleNode(node);
      if (eligible.get(name) === now && change !== 'delete') return;
      if (change === 'delete') eligible.delete(name);
      else eligible.set(name, now);
      onChange();
    },
  }, log);
  return {
    virtualServers: () => virtualServers.list(),
    endpointSlices: () => endpointSlices.list(),
    pods: () => pods.list(),
    nodes: () => nodes.list(),
    synced: () => [virtualServers, endpointSlices, pods, nodes].every((cache) => cache.synced()),
    stop: async () => {
      await Promise.all([virtualServers.stop(), endpointSlices.stop(), pods.stop(), nodes.stop()]);
    },
  };
}

/**
 * Waits until every cache has listed once: a speaker that started on empty caches while the
 * API server was unreachable would report (and hold) nothing. Polls like client-go's
 * WaitForCacheSync; the caches retry on their own.
 */
export async function waitForSync(sources: ClusterSources, log: Logger, stopped: () => boolean): Promise<void> {
  let waited = 0;
  while (!sources.synced() && !stopped()) {
    if (waited % 10_000 === 0) log.info({ event: 'speaker.waiting-for-api', waitedMs: waited }, 'waiting for the first list of every watched kind');
    await new Promise((resolve) => setTimeout(resolve, 100));
    waited += 100;
  }
}
