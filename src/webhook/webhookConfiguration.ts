import type { AdmissionregistrationV1Api, V1MutatingWebhookConfiguration, V1MutatingWebhook } from '@kubernetes/client-node';
import type { Logger } from '../log.js';
import { injectLabel } from '../realserver/realServerConfig.js';
import { mutatePodsPath } from './webhookServer.js';

export type WebhookEndpoint = { url: string } | { service: { namespace: string; name: string; port: number } };

/** A label value that no namespace name can have (namespace names have no dots): matches nothing. */
const noNamespace = 'none.tsvs.io';

/**
 * The one webhook tsvs registers. Scope: pod CREATE only, only in namespaces that hold a
 * VirtualServer, never for pods labelled out. failurePolicy Ignore: while the controller is
 * unreachable, pods are still created everywhere; the ones that should have been real servers
 * lack the annotation, and the controller reports them in the VirtualServer's status and keeps
 * them out of the real servers, instead of workloads' scale-ups and reschedules depending on
 * tsvs being up.
 */
export function desiredWebhook(endpoint: WebhookEndpoint, caBundle: string, namespaces: readonly string[]): V1MutatingWebhook {
  const caBundleB64 = Buffer.from(caBundle).toString('base64');
  return {
    name: 'realserver-pods.tsvs.io',
    admissionReviewVersions: ['v1'],
    clientConfig:
      'url' in endpoint ? { url: endpoint.url, caBundle: caBundleB64 } : { service: { ...endpoint.service, path: mutatePodsPath }, caBundle: caBundleB64 },
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
    failurePolicy: 'Ignore',
    sideEffects: 'None',
    timeoutSeconds: 5,
    matchPolicy: 'Equivalent',
    reinvocationPolicy: 'Never',
    namespaceSelector: {
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: namespaces.length > 0 ? [...namespaces].sort() : [noNamespace] }],
    },
    objectSelector: { matchExpressions: [{ key: injectLabel, operator: 'NotIn', values: ['false'] }] },
  };
}

const comparable = (w: V1MutatingWebhook | undefined) =>
  JSON.stringify(w && [w.clientConfig, w.rules, w.failurePolicy, w.sideEffects, w.timeoutSeconds, w.namespaceSelector, w.objectSelector, w.reinvocationPolicy]);

/** Creates or updates the MutatingWebhookConfiguration; writes only when it differs. */
export async function applyWebhookConfiguration(api: AdmissionregistrationV1Api, name: string, webhook: V1MutatingWebhook, log: Logger): Promise<boolean> {
  let current: V1MutatingWebhookConfiguration | undefined;
  try {
    current = await api.readMutatingWebhookConfiguration({ name });
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
  }
  if (current && current.webhooks?.length === 1 && comparable(current.webhooks[0]) === comparable(webhook)) return false;
  const body: V1MutatingWebhookConfiguration = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name, resourceVersion: current?.metadata?.resourceVersion, labels: { 'app.kubernetes.io/managed-by': 'tsvs-controller' } },
    webhooks: [webhook],
  };
  if (current) await api.replaceMutatingWebhookConfiguration({ name, body });
  else await api.createMutatingWebhookConfiguration({ body });
  log.info({ event: 'webhook.configuration-applied', name, namespaces: webhook.namespaceSelector?.matchExpressions?.[0]?.values }, 'webhook configuration written');
  return true;
}
