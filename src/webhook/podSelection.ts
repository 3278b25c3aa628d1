import type { V1Pod, V1Service } from '@kubernetes/client-node';
import type { VirtualServer } from '../kube/virtualServer.js';
import { matchesLabelSelector } from '../kube/labelSelector.js';

/**
 * The VirtualServers in the pod's namespace whose real servers include this pod: through the
 * named Service's selector, or through the VirtualServer's own label selector. An empty
 * selector selects nothing here (Kubernetes reads it as "everything", which no one means
 * for real servers).
 */
export function selectingVirtualServers(
  pod: V1Pod,
  virtualServers: readonly VirtualServer[],
  service: (namespace: string, name: string) => V1Service | undefined,
): VirtualServer[] {
  const namespace = pod.metadata?.namespace;
  const labels = pod.metadata?.labels ?? {};
  return virtualServers.filter((vs) => {
    if (namespace === undefined || vs.metadata.namespace !== namespace || vs.metadata.deletionTimestamp) return false;
    const { serviceName, selector } = vs.spec.realServers;
    if (serviceName !== undefined) {
      const podSelector = service(namespace, serviceName)?.spec?.selector;
      return podSelector !== undefined && Object.keys(podSelector).length > 0 && matchesLabelSelector({ matchLabels: podSelector }, labels);
    }
    const matchLabels = selector?.matchLabels ?? {};
    return Object.keys(matchLabels).length > 0 && matchesLabelSelector({ matchLabels }, labels);
  });
}
