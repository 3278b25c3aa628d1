import type { AddressPool, AddressPoolSpec } from '../../../src/kube/addressPool.js';

export function pool(name: string, spec: Partial<AddressPoolSpec>, created = '2026-01-01T00:00:00Z'): AddressPool {
  return {
    apiVersion: 'tsvs.io/v1alpha1',
    kind: 'AddressPool',
    metadata: { name, creationTimestamp: created as unknown as Date },
    spec: { addresses: [], ...spec },
  };
}
