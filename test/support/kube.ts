import { randomBytes } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { virtualServerResource } from '../../src/kube/virtualServer.js';

/** Clients for the real kube-apiserver that the integration project's globalSetup started. */
export function testKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(inject('kubeconfigPath'));
  return kc;
}

/** A fresh namespace, so test files never see each other's objects. */
export async function createTestNamespace(kc: KubeConfig, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

export function virtualServerApi(kc: KubeConfig, namespace: string) {
  const api = kc.makeApiClient(CustomObjectsApi);
  const { group, version, plural } = virtualServerResource;
  return {
    create: (body: object) => api.createNamespacedCustomObject({ group, version, plural, namespace, body }),
    get: (name: string) => api.getNamespacedCustomObject({ group, version, plural, namespace, name }),
    delete: (name: string) => api.deleteNamespacedCustomObject({ group, version, plural, namespace, name }),
  };
}

/** The API server's refusal message of a rejected request (its Status object's message). */
export async function refusal(request: Promise<unknown>): Promise<string> {
  try {
    await request;
  } catch (err) {
    const e = err as { code?: number; body?: unknown };
    const body = typeof e.body === 'string' ? (JSON.parse(e.body) as { message?: string }) : (e.body as { message?: string });
    if (e.code !== 422) throw new Error(`expected 422 Invalid, got ${e.code}: ${body?.message}`, { cause: err });
    return body?.message ?? '';
  }
  throw new Error('the API server accepted an object it should have refused');
}

/** Reasons of the events recorded about one object. */
export async function eventReasons(kc: KubeConfig, namespace: string, name: string): Promise<string[]> {
  const events = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
  return events.items.map((e) => e.reason ?? '');
}
