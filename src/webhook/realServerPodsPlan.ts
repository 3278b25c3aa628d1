import type { V1Pod, V1Service } from '@kubernetes/client-node';
import type { VirtualServer } from '../kube/virtualServer.js';
import { desiredRealServerConfig, formatRealServerConfig, podRealServerConfig } from '../realserver/realServerConfig.js';
import { selectingVirtualServers } from './podSelection.js';

export const realServerPodsCondition = 'RealServerPods';

export interface RealServerPodsCondition {
  status: 'True' | 'False';
  reason: 'AllPodsConfigured' | 'PodsNotInjected' | 'PodsMissingVIP' | 'PodSecurityForbidsNetAdmin';
  message: string;
}

export interface RealServerPodsPlan {
  /** Pods whose init container is still waiting for a VIP: their annotation gets the VIPs. */
  annotate: Array<{ namespace: string; name: string; value: string }>;
  /** Keyed namespace/name of each VirtualServer. */
  conditions: Map<string, RealServerPodsCondition>;
}

export interface RealServerPodsInput {
  virtualServers: readonly VirtualServer[];
  pods: readonly V1Pod[];
  service: (namespace: string, name: string) => V1Service | undefined;
  /** The namespace's `pod-security.kubernetes.io/enforce` label. */
  podSecurityEnforce: (namespace: string) => string | undefined;
}

const list = (names: string[]) => (names.length <= 5 ? names.join(', ') : `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`);

/**
 * Pure: which pods get their VIPs now, and what each VirtualServer's RealServerPods condition
 * says. The annotation is filled in only while it names no VIP: the init container is then
 * still waiting on it, so the VIP does reach the pod. Once it names VIPs the init container
 * may have run, so a VIP it lacks is reported instead of written where nothing would read it;
 * such a pod is not a valid real server for that VIP: its annotation lists the VIPs it holds.
 */
export function planRealServerPods(input: RealServerPodsInput): RealServerPodsPlan {
  const annotate: RealServerPodsPlan['annotate'] = [];
  const notInjected = new Map<string, string[]>();
  const missingVip = new Map<string, string[]>();
  const selectedCount = new Map<string, number>();
  const key = (vs: VirtualServer) => `${vs.metadata.namespace}/${vs.metadata.name}`;
  const push = (map: Map<string, string[]>, k: string, pod: string) => map.set(k, [...(map.get(k) ?? []), pod]);

  for (const pod of input.pods) {
    const namespace = pod.metadata?.namespace;
    const name = pod.metadata?.name;
    if (!namespace || !name || pod.metadata?.deletionTimestamp || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    const selectedBy = selectingVirtualServers(pod, input.virtualServers, input.service);
    if (selectedBy.length === 0) continue;
    for (const vs of selectedBy) selectedCount.set(key(vs), (selectedCount.get(key(vs)) ?? 0) + 1);
    const config = podRealServerConfig(pod.metadata?.annotations);
    if (!config) {
      for (const vs of selectedBy) push(notInjected, key(vs), name);
      continue;
    }
    const desired = desiredRealServerConfig(selectedBy);
    if (config.vips.length === 0) {
      if (desired.vips.length > 0) annotate.push({ namespace, name, value: formatRealServerConfig(desired) });
      continue;
    }
    for (const vs of selectedBy) {
      const vip = desiredRealServerConfig([vs]).vips[0];
      if (vip !== undefined && !config.vips.includes(vip)) push(missingVip, key(vs), name);
    }
  }

  const conditions = new Map<string, RealServerPodsCondition>();
  for (const vs of input.virtualServers) {
    const k = key(vs);
    const enforce = input.podSecurityEnforce(vs.metadata.namespace ?? '');
    if (enforce === 'baseline' || enforce === 'restricted') {
      conditions.set(k, {
        status: 'False',
        reason: 'PodSecurityForbidsNetAdmin',
        message: `namespace ${vs.metadata.namespace} enforces Pod Security "${enforce}", which forbids the NET_ADMIN capability of the real-server init container: its pods get no VIP and are kept out of the real servers. Label the namespace pod-security.kubernetes.io/enforce=privileged to let tsvs configure them.`,
      });
    } else if (notInjected.has(k)) {
      const pods = notInjected.get(k)!;
      conditions.set(k, {
        status: 'False',
        reason: 'PodsNotInjected',
        message: `${pods.length} selected pods have no real-server init container (created while the webhook was unreachable, or labelled out), so they are kept out of the real servers; delete them to have them re-created with it: ${list(pods)}`,
      });
    } else if (missingVip.has(k)) {
      const pods = missingVip.get(k)!;
      conditions.set(k, {
        status: 'False',
        reason: 'PodsMissingVIP',
        message: `${pods.length} selected pods started before this VIP was allocated and do not hold it, so they are kept out of its real servers; restart them to add it: ${list(pods)}`,
      });
    } else {
      conditions.set(k, { status: 'True', reason: 'AllPodsConfigured', message: `${selectedCount.get(k) ?? 0} selected pods carry the real-server configuration` });
    }
  }
  return { annotate, conditions };
}
