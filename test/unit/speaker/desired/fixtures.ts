import type { V1EndpointSlice, V1Node, V1Pod } from '@kubernetes/client-node';
import type { NodeStateInput } from '../../../../src/speaker/nodeState.js';

/** A VirtualServer object as the API server returns it, with its VIP allocated. */
export function virtualServer(name: string, options: { vip?: string; spec?: Record<string, unknown>; created?: string; namespace?: string } = {}) {
  return {
    apiVersion: 'tsvs.io/v1alpha1',
    kind: 'VirtualServer',
    metadata: { name, namespace: options.namespace ?? 'app', creationTimestamp: options.created ?? '2026-01-01T00:00:00Z' },
    spec: { forwardingMethod: 'DR', ports: [{ port: 80, protocol: 'TCP', scheduler: 'mh', schedulerFlags: ['fallback', 'port'] }], realServers: { serviceName: name }, ...options.spec },
    ...(options.vip === undefined ? {} : { status: { vip: options.vip } }),
  };
}

export interface EndpointInput {
  address: string;
  node?: string;
  ready?: boolean | null;
  pod?: string;
}

export function endpointSlice(service: string, endpoints: EndpointInput[], options: { name?: string; addressType?: string; ports?: Array<{ name?: string; port: number; protocol?: string }>; namespace?: string } = {}): V1EndpointSlice {
  return {
    metadata: { name: options.name ?? `${service}-abcde`, namespace: options.namespace ?? 'app', labels: { 'kubernetes.io/service-name': service } },
    addressType: options.addressType ?? 'IPv4',
    ports: options.ports ?? [{ port: 80, protocol: 'TCP' }],
    endpoints: endpoints.map((e) => ({
      addresses: [e.address],
      ...(e.ready === null ? {} : { conditions: { ready: e.ready ?? true } }),
      ...(e.node ? { nodeName: e.node } : {}),
      ...(e.pod ? { targetRef: { kind: 'Pod', name: e.pod, namespace: 'app' } } : {}),
    })),
  };
}

export function node(name: string, options: { ready?: boolean; labels?: Record<string, string> } = {}): V1Node {
  return {
    metadata: { name, ...(options.labels ? { labels: options.labels } : {}) },
    status: { conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True' }] },
  };
}

export function pod(name: string, options: { ips: string[]; node: string; labels?: Record<string, string>; ready?: boolean; hostNetwork?: boolean; namespace?: string }): V1Pod {
  return {
    metadata: { name, namespace: options.namespace ?? 'app', labels: options.labels ?? { app: 'web' } },
    spec: { containers: [], nodeName: options.node, ...(options.hostNetwork ? { hostNetwork: true } : {}) },
    status: {
      phase: 'Running',
      podIP: options.ips[0],
      podIPs: options.ips.map((ip) => ({ ip })),
      conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True' }],
    },
  };
}

export function stateInput(overrides: Partial<NodeStateInput>): NodeStateInput {
  return {
    nodeName: 'n1',
    virtualServers: [],
    endpointSlices: [],
    pods: [],
    nodes: [node('n1'), node('n2'), node('n3')],
    health: new Map(),
    roles: new Map(),
    defaultAdvertIntervalMs: 1000,
    ...overrides,
  };
}
