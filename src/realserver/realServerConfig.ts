import { isIP } from 'node:net';
import { z } from 'zod';
import type { VirtualServer } from '../kube/virtualServer.js';
import { canonicalIp, compareIp, ipFamily } from '../speaker/net/ipAddress.js';

/**
 * What a real-server pod's network namespace needs, carried from the webhook and the
 * controller to the init container in one pod annotation, which a downward-API volume turns
 * into a file (the kubelet refreshes that file when the annotation changes).
 */
export const realServerAnnotation = 'tsvs.io/realserver';
/** A pod label: `false` keeps the webhook from injecting anything into that pod. */
export const injectLabel = 'tsvs.io/realserver-inject';
export const realServerContainerName = 'tsvs-realserver';
export const realServerVolumeName = 'tsvs-realserver';
export const realServerConfigDir = '/etc/tsvs-realserver';
export const realServerConfigFile = 'config.json';

const ip = z.string().refine((s) => isIP(s) !== 0, { error: (i) => `'${String(i.input)}' is not an IP address` }).transform(canonicalIp);
const port = z.number().int().min(1).max(65535);

export const portRedirectSchema = z.object({
  vip: ip,
  protocol: z.enum(['tcp', 'udp', 'sctp']),
  port,
  targetPort: port,
});

export const realServerConfigSchema = z.object({
  vips: z.array(ip),
  redirects: z.array(portRedirectSchema).default([]),
});

export type PortRedirect = z.infer<typeof portRedirectSchema>;
export type RealServerConfig = z.infer<typeof realServerConfigSchema>;

/** The annotation or file does not hold a valid real-server configuration. */
export class RealServerConfigError extends Error {
  override readonly name = 'RealServerConfigError';
}

export function parseRealServerConfig(text: string): RealServerConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RealServerConfigError(`not JSON: ${(err as Error).message}`);
  }
  const result = realServerConfigSchema.safeParse(json);
  if (!result.success) throw new RealServerConfigError(result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  return result.data;
}

/** IPv4 before IPv6, then by value. */
const byAddress = (a: string, b: string) => ipFamily(a) - ipFamily(b) || compareIp(a, b);

const redirectKey = (r: PortRedirect) => `${r.vip} ${r.protocol} ${r.port}`;

/** Canonical JSON (sorted, deduplicated), so that equal configurations are equal strings. */
export function formatRealServerConfig(config: RealServerConfig): string {
  const vips = [...new Set(config.vips.map(canonicalIp))].sort(byAddress);
  const redirects = [...new Map(config.redirects.map((r) => [redirectKey(r), { ...r, vip: canonicalIp(r.vip) }])).values()].sort(
    (a, b) => byAddress(a.vip, b.vip) || a.protocol.localeCompare(b.protocol) || a.port - b.port,
  );
  return JSON.stringify({ vips, redirects });
}

/**
 * The configuration a pod needs from the VirtualServers that select it: every allocated VIP
 * on lo, and, for each port whose targetPort differs, VIP:port redirected to the target port
 * inside the pod (direct routing delivers the packet unchanged, port included).
 */
export function desiredRealServerConfig(virtualServers: readonly VirtualServer[]): RealServerConfig {
  const vips: string[] = [];
  const redirects: PortRedirect[] = [];
  for (const vs of virtualServers) {
    const vip = vs.status?.vip;
    if (vip === undefined || isIP(vip) === 0) continue;
    vips.push(canonicalIp(vip));
    for (const p of vs.spec.ports) {
      if (p.targetPort === undefined || p.targetPort === p.port) continue;
      redirects.push({ vip: canonicalIp(vip), protocol: p.protocol.toLowerCase() as PortRedirect['protocol'], port: p.port, targetPort: p.targetPort });
    }
  }
  return JSON.parse(formatRealServerConfig({ vips, redirects })) as RealServerConfig;
}

/** The pod's configuration from its annotation; undefined when it has none or it is invalid. */
export function podRealServerConfig(annotations: Record<string, string> | undefined): RealServerConfig | undefined {
  const text = annotations?.[realServerAnnotation];
  if (text === undefined) return undefined;
  try {
    return parseRealServerConfig(text);
  } catch {
    return undefined;
  }
}
