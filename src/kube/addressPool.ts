import type { V1LabelSelector, V1ObjectMeta } from '@kubernetes/client-node';
import type { VirtualServerCondition } from './virtualServer.js';

/** The AddressPool custom resource (deploy/crds/tsvs.io_addresspools.yaml), cluster-scoped. */
export const addressPoolResource = {
  group: 'tsvs.io',
  version: 'v1alpha1',
  plural: 'addresspools',
  kind: 'AddressPool',
} as const;

export interface AddressPoolSpec {
  addresses: string[];
  autoAssign?: boolean;
  excludedAddresses?: string[];
  namespaceSelector?: V1LabelSelector;
}

export interface AddressPoolStatus {
  observedGeneration?: number;
  used?: number;
  families?: Array<{ family: 'IPv4' | 'IPv6'; total: string; used: number }>;
  conditions?: Array<Omit<VirtualServerCondition, 'type'> & { type: string }>;
}

export interface AddressPool {
  apiVersion: 'tsvs.io/v1alpha1';
  kind: 'AddressPool';
  metadata: V1ObjectMeta & { name: string };
  spec: AddressPoolSpec;
  status?: AddressPoolStatus;
}
