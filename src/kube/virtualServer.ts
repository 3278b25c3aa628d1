import type { V1ObjectMeta } from '@kubernetes/client-node';

/** The VirtualServer custom resource (deploy/crds/tsvs.io_virtualservers.yaml). */
export const virtualServerResource = {
  group: 'tsvs.io',
  version: 'v1alpha1',
  plural: 'virtualservers',
  kind: 'VirtualServer',
} as const;

export type IpvsProtocol = 'TCP' | 'UDP' | 'SCTP';
export type ForwardingMethod = 'DR' | 'TUN' | 'NAT';

export interface VirtualServerPort {
  name?: string;
  protocol: IpvsProtocol;
  port: number;
  targetPort?: number;
  scheduler: string;
  schedulerFlags?: string[];
  persistence?: { timeoutSeconds: number; netmask?: string };
}

export interface VirtualServerSpec {
  vip?: string;
  pool?: string;
  ipFamily?: 'IPv4' | 'IPv6';
  sharingKey?: string;
  realServerPortRedirect?: boolean;
  forwardingMethod: ForwardingMethod;
  ports: VirtualServerPort[];
  realServers: { serviceName?: string; selector?: { matchLabels?: Record<string, string> } };
  healthCheck?: {
    type: 'TCP' | 'HTTP';
    port?: number;
    path?: string;
    expectedStatus?: number;
    intervalSeconds: number;
    timeoutSeconds: number;
    healthyThreshold: number;
    unhealthyThreshold: number;
  };
  vrrp?: { group?: number; advertisementIntervalMs?: number };
}

export interface VirtualServerCondition {
  type: 'VIPAllocated' | 'Programmed' | 'Ready';
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** One speaker's report (status.nodes is a map keyed by name: each speaker applies its own entry). */
export interface VirtualServerNodeStatus {
  name: string;
  role?: 'Master' | 'Backup';
  programmed?: boolean;
  realServers?: number;
  message?: string;
}

export interface VirtualServerStatus {
  observedGeneration?: number;
  vip?: string;
  masterNode?: string;
  readyRealServers?: number;
  nodes?: VirtualServerNodeStatus[];
  conditions?: VirtualServerCondition[];
}

export interface VirtualServer {
  apiVersion: 'tsvs.io/v1alpha1';
  kind: 'VirtualServer';
  metadata: V1ObjectMeta & { name: string };
  spec: VirtualServerSpec;
  status?: VirtualServerStatus;
}
