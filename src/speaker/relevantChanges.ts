import type { V1EndpointSlice } from '@kubernetes/client-node';

/**
 * Which watch events can change a node's desired state: EndpointSlices and Pods churn all over
 * a cluster, and a pass for each would keep the speaker busy for nothing. Pure. (A change of a
 * VirtualServer always brings a pass, which picks up whatever its real servers are by then.)
 */

interface RealServerSource {
  spec?: { realServers?: { serviceName?: unknown; selector?: unknown } };
}

/** A slice of a Service that some VirtualServer of its namespace takes its real servers from. */
export function sliceMatters(slice: V1EndpointSlice, virtualServersOfNamespace: readonly unknown[]): boolean {
  const service = slice.metadata?.labels?.['kubernetes.io/service-name'];
  return service !== undefined && virtualServersOfNamespace.some((vs) => (vs as RealServerSource).spec?.realServers?.serviceName === service);
}

/** Pods matter in a namespace where some VirtualServer selects them by label. */
export function selectsPods(virtualServersOfNamespace: readonly unknown[]): boolean {
  return virtualServersOfNamespace.some((vs) => (vs as RealServerSource).spec?.realServers?.selector !== undefined);
}
