import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bundleCas, certificateFacts, certificatePolicy, planCertificates, renewCertificates } from '../../../src/webhook/certificates.js';
import { desiredWebhook } from '../../../src/webhook/webhookConfiguration.js';

const DAY = 86_400_000;
const now = new Date('2026-01-01T00:00:00Z');
const hosts = ['tsvs-webhook.tsvs-system.svc', '127.0.0.1'];
const facts = (caDays: number, servingDays: number, extra: Partial<ReturnType<typeof certificateFacts>> = {}) => ({
  caNotAfter: new Date(now.getTime() + caDays * DAY),
  servingNotAfter: new Date(now.getTime() + servingDays * DAY),
  servingHosts: [...hosts].reverse(),
  servingIssuedByCa: true,
  ...extra,
});

describe('planCertificates', () => {
  it('creates everything when nothing is there', () => {
    expect(planCertificates(undefined, hosts, now)).toBe('renew-ca');
  });
  it('keeps certificates with time left for the same hosts', () => {
    expect(planCertificates(facts(certificatePolicy.caRenewBeforeDays + 1, certificatePolicy.servingRenewBeforeDays + 1), hosts, now)).toBe('keep');
  });
  it('renews the serving certificate near its end, for other hosts, or when another CA signed it', () => {
    expect(planCertificates(facts(700, certificatePolicy.servingRenewBeforeDays - 1), hosts, now)).toBe('renew-serving');
    expect(planCertificates(facts(700, 80), ['other.svc'], now)).toBe('renew-serving');
    expect(planCertificates(facts(700, 80, { servingIssuedByCa: false }), hosts, now)).toBe('renew-serving');
  });
  it('renews the CA near its end', () => {
    expect(planCertificates(facts(certificatePolicy.caRenewBeforeDays - 1, 80), hosts, now)).toBe('renew-ca');
  });
});

describe('certificates (real X.509)', () => {
  it('issues a serving certificate the CA verifies, for exactly the hosts, and renews the CA keeping the old one in the bundle', async () => {
    const first = await renewCertificates(undefined, hosts, now);
    expect(first.action).toBe('renew-ca');
    // Checked by node's own X.509 code (OpenSSL), not by the library that made them.
    const serving = new X509Certificate(first.certificates.serving.cert);
    const ca = new X509Certificate(first.certificates.ca.cert);
    expect(serving.checkIssued(ca)).toBe(true);
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(ca.ca).toBe(true);
    expect(serving.subjectAltName).toBe('DNS:tsvs-webhook.tsvs-system.svc, IP Address:127.0.0.1');
    expect(certificateFacts(first.certificates)).toMatchObject({ servingHosts: hosts, servingIssuedByCa: true });
    expect((await renewCertificates(first.certificates, hosts, now)).action).toBe('keep');

    const later = new Date(now.getTime() + (certificatePolicy.caDays - certificatePolicy.caRenewBeforeDays + 1) * DAY);
    const rotated = await renewCertificates(first.certificates, hosts, later);
    expect(rotated.action).toBe('renew-ca');
    const bundle = rotated.certificates.caBundle.match(/BEGIN CERTIFICATE/g);
    expect(bundle).toHaveLength(2);
    expect(rotated.certificates.caBundle.startsWith(rotated.certificates.ca.cert.trim())).toBe(true);
    // Once the old CA has expired it leaves the bundle.
    expect(bundleCas(rotated.certificates.ca.cert, rotated.certificates.caBundle, new Date(now.getTime() + (certificatePolicy.caDays + 1) * DAY)).match(/BEGIN/g)).toHaveLength(1);
  });
});

describe('desiredWebhook', () => {
  it('scopes to pod CREATE in the namespaces given, never labelled-out pods, and fails open', () => {
    const w = desiredWebhook({ url: 'https://127.0.0.1:9443/mutate-pods' }, 'PEM', ['b', 'a']);
    expect(w.failurePolicy).toBe('Ignore');
    expect(w.clientConfig).toEqual({ url: 'https://127.0.0.1:9443/mutate-pods', caBundle: Buffer.from('PEM').toString('base64') });
    expect(w.namespaceSelector).toEqual({ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['a', 'b'] }] });
    expect(w.objectSelector).toEqual({ matchExpressions: [{ key: 'tsvs.io/realserver-inject', operator: 'NotIn', values: ['false'] }] });
  });
  it('matches no namespace when there is no VirtualServer', () => {
    expect(desiredWebhook({ service: { namespace: 'tsvs-system', name: 'tsvs-webhook', port: 443 } }, 'PEM', []).namespaceSelector!.matchExpressions![0]!.values).toEqual(['none.tsvs.io']);
  });
});
