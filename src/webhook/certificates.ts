// @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect metadata polyfill.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const DAY = 86_400_000;
const keyAlgorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** Lifetimes and renewal margins: each certificate is replaced once less than a third of its life is left. */
export const certificatePolicy = {
  caDays: 730,
  caRenewBeforeDays: 240,
  servingDays: 90,
  servingRenewBeforeDays: 30,
} as const;

export interface PemPair {
  cert: string;
  key: string;
}

/** The webhook's certificates as kept in a Secret. */
export interface WebhookCertificates {
  ca: PemPair;
  serving: PemPair;
  /** PEM: the current CA, plus the previous one while it is still valid (the API server's caBundle). */
  caBundle: string;
}

export interface CertificateFacts {
  caNotAfter: Date;
  servingNotAfter: Date;
  servingHosts: string[];
  servingIssuedByCa: boolean;
}

export type CertificateAction = 'keep' | 'renew-serving' | 'renew-ca';

/**
 * Pure: what to do with the certificates found. A new CA also means a new serving certificate;
 * the old CA stays in the bundle until it expires, so callers that still hold the old bundle
 * keep trusting the new serving certificate only once they have the new one — hence the long
 * CA margin, which leaves many resyncs for the bundle to spread before the switch matters.
 */
export function planCertificates(facts: CertificateFacts | undefined, hosts: readonly string[], now: Date): CertificateAction {
  if (!facts) return 'renew-ca';
  if (facts.caNotAfter.getTime() - now.getTime() < certificatePolicy.caRenewBeforeDays * DAY) return 'renew-ca';
  const sameHosts = [...facts.servingHosts].sort().join(',') === [...hosts].sort().join(',');
  if (!facts.servingIssuedByCa || !sameHosts || facts.servingNotAfter.getTime() - now.getTime() < certificatePolicy.servingRenewBeforeDays * DAY) {
    return 'renew-serving';
  }
  return 'keep';
}

/** The bundle: the current CA first, then any other still-valid CA from the old bundle. */
export function bundleCas(current: string, previousBundle: string | undefined, now: Date): string {
  const currentCert = new x509.X509Certificate(current);
  const others = splitPem(previousBundle ?? '')
    .map((pem) => new x509.X509Certificate(pem))
    .filter((c) => c.notAfter.getTime() > now.getTime() && !c.equal(currentCert));
  return [currentCert, ...others].map((c) => c.toString('pem')).join('\n') + '\n';
}

function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

export function certificateFacts(certs: WebhookCertificates): CertificateFacts {
  const ca = new x509.X509Certificate(certs.ca.cert);
  const serving = new x509.X509Certificate(certs.serving.cert);
  const san = serving.getExtension(x509.SubjectAlternativeNameExtension);
  return {
    caNotAfter: ca.notAfter,
    servingNotAfter: serving.notAfter,
    servingHosts: san?.names.items.map((n) => n.value) ?? [],
    servingIssuedByCa: serving.issuer === ca.subject,
  };
}

async function exportKey(key: webcrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decode(pem)[0]!, keyAlgorithm, true, ['sign']);
}

const serial = () => Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');

export async function createCa(now: Date): Promise<PemPair> {
  const keys = await webcrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=tsvs-webhook-ca-${now.toISOString().slice(0, 10)}`,
    notBefore: new Date(now.getTime() - 5 * 60_000),
    notAfter: new Date(now.getTime() + certificatePolicy.caDays * DAY),
    keys,
    signingAlgorithm: keyAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

/** A serving certificate for the DNS names and IP addresses in `hosts`, signed by the CA. */
export async function createServing(ca: PemPair, hosts: readonly string[], now: Date): Promise<PemPair> {
  const caCert = new x509.X509Certificate(ca.cert);
  const keys = await webcrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${hosts[0] ?? 'tsvs-webhook'}`,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - 5 * 60_000),
    notAfter: new Date(Math.min(now.getTime() + certificatePolicy.servingDays * DAY, caCert.notAfter.getTime())),
    publicKey: keys.publicKey,
    signingKey: await importKey(ca.key),
    signingAlgorithm: keyAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(hosts.map((h) => ({ type: isIP(h) ? ('ip' as const) : ('dns' as const), value: h }))),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

/** Carries out a plan: the certificates to store, or the same object when nothing changes. */
export async function renewCertificates(
  current: WebhookCertificates | undefined,
  hosts: readonly string[],
  now: Date,
): Promise<{ action: CertificateAction; certificates: WebhookCertificates }> {
  const action = planCertificates(current && certificateFacts(current), hosts, now);
  if (action === 'keep' && current) return { action, certificates: current };
  const ca = action === 'renew-ca' || !current ? await createCa(now) : current.ca;
  const serving = await createServing(ca, hosts, now);
  return { action, certificates: { ca, serving, caBundle: bundleCas(ca.cert, current?.caBundle, now) } };
}
