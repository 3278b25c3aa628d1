import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, inject, it } from 'vitest';
import { loadKubeConfig } from '../../src/kube/kubeConfig.js';

describe('loadKubeConfig', () => {
  it('sends sequential API requests over one kept-alive connection, not one TLS handshake each', async () => {
    const core = loadKubeConfig(inject('kubeconfigPath')).makeApiClient(CoreV1Api);
    let connections = 0;
    let responses = 0;
    // Node publishes every finished HTTP client response here; its request says whether it reused a socket.
    const counted = (message: unknown): void => {
      responses++;
      if (!(message as { request: ClientRequest }).request.reusedSocket) connections++;
    };
    subscribe('http.client.response.finish', counted);
    try {
      for (let i = 0; i < 20; i++) {
        const namespaces = await core.listNamespace();
        expect(namespaces.items.map((n) => n.metadata?.name)).toContain('default');
      }
    } finally {
      unsubscribe('http.client.response.finish', counted);
    }
    expect(responses).toBe(20);
    expect(connections).toBeGreaterThanOrEqual(1);
    expect(connections).toBeLessThanOrEqual(2);
  });
});
