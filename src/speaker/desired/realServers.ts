import type { V1EndpointSlice, V1Pod } from '@kubernetes/client-node';
import { isIP } from 'node:net';
import { matchesLabelSelector } from '../../kube/labelSelector.js';
import { canonicalIp } from '../net/ipAddress.js';
import type { SpeakerVirtualServer, VirtualServerPortSpec } from './virtualServerInput.js';

/** One endpoint of one VirtualServer port, as the cluster reports it. */
export interface RealServer {
  /** Canonical pod address. */
  address: string;
  /** The port the pod listens on for this VirtualServer port. */
  targetPort: number;
  nodeName?: string;
  /** The pod, where the source names it (labels metrics). */
  pod?: string;
  ready: boolean;
}

const serviceNameLabel = 'kubernetes.io/service-name';

/**
 * The slice port that carries a VirtualServer port: by name when the port has one (a
 * Service's ports and its slices' ports share names), else by the target port number, else
 * the slice's only port of that protocol.
 */
function slicePort(slice: V1EndpointSlice, port: VirtualServerPortSpec): number | undefined {
  const candidates = (slice.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === port.protocol && p.port !== undefined);
  const wanted = port.targetPort ?? port.port;
  const chosen =
    (port.name !== undefined ? candidates.find((p) => p.name === port.name) : undefined) ??
    candidates.find((p) => p.port === wanted) ??
    (candidates.length === 1 ? candidates[0] : undefined);
  return chosen?.port;
}

function fromEndpointSlices(vs: SpeakerVirtualServer, serviceName: string, port: VirtualServerPortSpec, slices: readonly V1EndpointSlice[]): RealServer[] {
  const addressType = vs.family === 4 ? 'IPv4' : 'IPv6';
  const found = new Map<string, RealServer>();
  for (const slice of slices) {
    if (slice.metadata?.namespace !== vs.namespace || slice.metadata.labels?.[serviceNameLabel] !== serviceName || slice.addressType !== addressType) continue;
    const targetPort = slicePort(slice, port);
    if (targetPort === undefined) continue;
    for (const endpoint of slice.endpoints) {
      // Consumers use the first address only (EndpointSlice API).
      const first = endpoint.addresses[0];
      if (first === undefined || isIP(first) !== vs.family) continue;
      const address = canonicalIp(first);
      // An unset ready condition means ready (EndpointSlice API).
      const ready = endpoint.conditions?.ready !== false;
      const previous = found.get(address);
      // While an endpoint moves between slices it may be listed twice: ready in either counts.
      if (previous?.ready) continue;
      found.set(address, {
        address,
        targetPort,
        ready,
        ...(endpoint.nodeName ? { nodeName: endpoint.nodeName } : {}),
        ...(endpoint.targetRef?.kind === 'Pod' && endpoint.targetRef.name ? { pod: endpoint.targetRef.name } : {}),
      });
    }
  }
  return [...found.values()];
}

function podReady(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' && (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function fromPods(vs: SpeakerVirtualServer, selector: Record<string, string>, port: VirtualServerPortSpec, pods: readonly V1Pod[]): RealServer[] {
  const found = new Map<string, RealServer>();
  for (const pod of pods) {
    if (pod.metadata?.namespace !== vs.namespace || !matchesLabelSelector({ matchLabels: selector }, pod.metadata.labels ?? {})) continue;
    // A host-network pod's address is its node's: it cannot hold the VIP on a loopback of its own.
    if (pod.spec?.hostNetwork || pod.metadata.deletionTimestamp) continue;
    const ips = pod.status?.podIPs?.map((p) => p.ip) ?? (pod.status?.podIP ? [pod.status.podIP] : []);
    const ip = ips.find((candidate) => isIP(candidate) === vs.family);
    if (ip === undefined) continue;
    const address = canonicalIp(ip);
    found.set(address, {
      address,
      targetPort: port.targetPort ?? port.port,
      ready: podReady(pod),
      ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
      ...(pod.metadata.name ? { pod: pod.metadata.name } : {}),
    });
  }
  return [...found.values()];
}

/** Every endpoint, ready or not, of one VirtualServer port, sorted by address. */
export function realServersOf(vs: SpeakerVirtualServer, port: VirtualServerPortSpec, slices: readonly V1EndpointSlice[], pods: readonly V1Pod[]): RealServer[] {
  const servers = 'serviceName' in vs.realServers ? fromEndpointSlices(vs, vs.realServers.serviceName, port, slices) : fromPods(vs, vs.realServers.selector, port, pods);
  return servers.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}
