import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import type { Logger } from '../log.js';
import { renewCertificates, type WebhookCertificates } from './certificates.js';

export interface SecretRef {
  namespace: string;
  name: string;
}

const keys = { caCert: 'ca.crt', caKey: 'ca.key', cert: 'tls.crt', key: 'tls.key', bundle: 'ca-bundle.crt' } as const;

const text = (secret: V1Secret, key: string) => {
  const value = secret.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
};

function fromSecret(secret: V1Secret): WebhookCertificates | undefined {
  const [caCert, caKey, cert, key, bundle] = [keys.caCert, keys.caKey, keys.cert, keys.key, keys.bundle].map((k) => text(secret, k));
  if (!caCert || !caKey || !cert || !key || !bundle) return undefined;
  return { ca: { cert: caCert, key: caKey }, serving: { cert, key }, caBundle: bundle };
}

function toData(c: WebhookCertificates): Record<string, string> {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return { [keys.caCert]: b64(c.ca.cert), [keys.caKey]: b64(c.ca.key), [keys.cert]: b64(c.serving.cert), [keys.key]: b64(c.serving.key), [keys.bundle]: b64(c.caBundle) };
}

const code = (err: unknown) => (err as { code?: number }).code;

/**
 * Reads the webhook's certificates from their Secret and renews them when due. Every replica
 * runs this: writes carry the resourceVersion read, so when two race, one gets 409 Conflict
 * (or AlreadyExists), reads again and adopts what the other wrote.
 */
export async function ensureCertificateSecret(core: CoreV1Api, ref: SecretRef, hosts: readonly string[], log: Logger, now = new Date()): Promise<WebhookCertificates> {
  for (let attempt = 0; ; attempt++) {
    let secret: V1Secret | undefined;
    try {
      secret = await core.readNamespacedSecret(ref);
    } catch (err) {
      if (code(err) !== 404) throw err;
    }
    const current = secret && fromSecret(secret);
    const { action, certificates } = await renewCertificates(current, hosts, now);
    if (action === 'keep') return certificates;
    try {
      const body: V1Secret = { metadata: { ...ref, resourceVersion: secret?.metadata?.resourceVersion, labels: { 'app.kubernetes.io/managed-by': 'tsvs-controller' } }, type: 'Opaque', data: toData(certificates) };
      if (secret) await core.replaceNamespacedSecret({ ...ref, body });
      else await core.createNamespacedSecret({ namespace: ref.namespace, body });
      log.info({ event: 'webhook.certificates-renewed', action, secret: `${ref.namespace}/${ref.name}`, hosts }, `webhook certificates: ${action}`);
      return certificates;
    } catch (err) {
      if ((code(err) !== 409 && code(err) !== 404) || attempt >= 3) throw err;
    }
  }
}
