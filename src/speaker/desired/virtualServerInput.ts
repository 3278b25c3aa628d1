import { isIP } from 'node:net';
import { z } from 'zod';
import { canonicalIp, type IpFamily } from '../net/ipAddress.js';

/**
 * The part of a VirtualServer the speaker acts on, checked at the boundary: the CRD schema
 * refuses most bad objects, but a speaker must not program a half-understood one (an older
 * CRD, a hand-edited status), so anything it cannot use is rejected with the reason.
 */

const portNumber = z.number().int().min(1).max(65_535);

const portSchema = z.object({
  name: z.string().optional(),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
  port: portNumber,
  targetPort: portNumber.optional(),
  scheduler: z.string().regex(/^[a-z0-9_]{1,15}$/, 'must be an IPVS scheduler name').default('mh'),
  schedulerFlags: z.array(z.enum(['fallback', 'port'])).optional(),
  persistence: z.object({ timeoutSeconds: z.number().int().min(1).max(2_678_400), netmask: z.string().optional() }).optional(),
});

const healthCheckSchema = z.object({
  type: z.enum(['TCP', 'HTTP']),
  port: portNumber.optional(),
  path: z.string().startsWith('/').optional(),
  expectedStatus: z.number().int().min(100).max(599).optional(),
  intervalSeconds: z.number().int().min(1).max(3600).default(5),
  timeoutSeconds: z.number().int().min(1).max(3600).default(2),
  healthyThreshold: z.number().int().min(1).max(100).default(1),
  unhealthyThreshold: z.number().int().min(1).max(100).default(3),
});

const virtualServerSchema = z.object({
  metadata: z.object({
    name: z.string().min(1),
    namespace: z.string().min(1),
    creationTimestamp: z.union([z.string(), z.date()]).optional(),
    deletionTimestamp: z.unknown().optional(),
  }),
  spec: z.object({
    forwardingMethod: z.enum(['DR', 'TUN', 'NAT']).default('DR'),
    ports: z.array(portSchema).min(1),
    realServers: z
      .object({ serviceName: z.string().min(1).optional(), selector: z.object({ matchLabels: z.record(z.string(), z.string()).optional() }).optional() })
      .refine((r) => (r.serviceName === undefined) !== (r.selector === undefined), 'realServers needs exactly one of serviceName or selector')
      // An empty selector would make every pod of the namespace a real server.
      .refine((r) => r.selector === undefined || Object.keys(r.selector.matchLabels ?? {}).length > 0, 'realServers.selector.matchLabels must name at least one label'),
    healthCheck: healthCheckSchema.optional(),
    vrrp: z.object({ group: z.number().int().min(1).max(255).optional(), advertisementIntervalMs: z.number().int().min(10).max(40_950).multipleOf(10).optional() }).optional(),
  }),
  status: z.object({ vip: z.string().optional() }).optional(),
});

export type HealthCheckSpec = z.output<typeof healthCheckSchema>;
export type VirtualServerPortSpec = z.output<typeof portSchema>;

/** A VirtualServer the speaker can program. */
export interface SpeakerVirtualServer {
  /** namespace/name */
  key: string;
  namespace: string;
  name: string;
  /** Canonical text of status.vip. */
  vip: string;
  family: IpFamily;
  /** Older objects win conflicts (a port or a VRRP group claimed twice). */
  createdAt: number;
  forwardingMethod: 'DR' | 'TUN' | 'NAT';
  ports: VirtualServerPortSpec[];
  realServers: { serviceName: string } | { selector: Record<string, string> };
  healthCheck?: HealthCheckSpec;
  vrrpGroup?: number;
  advertIntervalMs?: number;
}

export type VirtualServerInput =
  | { kind: 'accepted'; virtualServer: SpeakerVirtualServer }
  /** No VIP allocated yet, or being deleted: nothing to program, nothing wrong. */
  | { kind: 'ignored'; key: string }
  | { kind: 'rejected'; key: string; reason: string };

function objectKey(object: unknown): string {
  const metadata = (object as { metadata?: { namespace?: unknown; name?: unknown } } | undefined)?.metadata;
  return `${String(metadata?.namespace ?? '?')}/${String(metadata?.name ?? '?')}`;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'object'}: ${issue.message}`).join('; ');
}

export function readVirtualServer(object: unknown): VirtualServerInput {
  const parsed = virtualServerSchema.safeParse(object);
  if (!parsed.success) return { kind: 'rejected', key: objectKey(object), reason: describeIssues(parsed.error) };
  const { metadata, spec, status } = parsed.data;
  const key = `${metadata.namespace}/${metadata.name}`;
  if (metadata.deletionTimestamp !== undefined && metadata.deletionTimestamp !== null) return { kind: 'ignored', key };
  if (status?.vip === undefined || status.vip === '') return { kind: 'ignored', key };
  const family = isIP(status.vip);
  if (family === 0) return { kind: 'rejected', key, reason: `status.vip ${JSON.stringify(status.vip)} is not an IP address` };
  const seen = new Set<string>();
  for (const port of spec.ports) {
    const id = `${port.port}/${port.protocol}`;
    if (seen.has(id)) return { kind: 'rejected', key, reason: `port ${id} is listed twice` };
    seen.add(id);
  }
  const created = metadata.creationTimestamp === undefined ? Number.NaN : new Date(metadata.creationTimestamp).getTime();
  return {
    kind: 'accepted',
    virtualServer: {
      key,
      namespace: metadata.namespace,
      name: metadata.name,
      vip: canonicalIp(status.vip),
      family: family as IpFamily,
      createdAt: Number.isNaN(created) ? 0 : created,
      forwardingMethod: spec.forwardingMethod,
      ports: spec.ports,
      realServers: spec.realServers.serviceName !== undefined ? { serviceName: spec.realServers.serviceName } : { selector: spec.realServers.selector?.matchLabels ?? {} },
      ...(spec.healthCheck ? { healthCheck: spec.healthCheck } : {}),
      ...(spec.vrrp?.group !== undefined ? { vrrpGroup: spec.vrrp.group } : {}),
      ...(spec.vrrp?.advertisementIntervalMs !== undefined ? { advertIntervalMs: spec.vrrp.advertisementIntervalMs } : {}),
    },
  };
}

/**
 * Persistence granularity as a prefix length: an IPv4 dotted mask (contiguous) or an IPv6
 * prefix length; absent means per client address.
 */
export function persistencePrefix(netmask: string | undefined, family: IpFamily): number | { error: string } {
  if (netmask === undefined) return family === 4 ? 32 : 128;
  if (family === 6) {
    const prefix = /^\d{1,3}$/.test(netmask) ? Number(netmask) : Number.NaN;
    return prefix >= 1 && prefix <= 128 ? prefix : { error: `persistence netmask ${JSON.stringify(netmask)} must be an IPv6 prefix length 1-128` };
  }
  if (isIP(netmask) !== 4) return { error: `persistence netmask ${JSON.stringify(netmask)} must be a dotted IPv4 mask` };
  const value = netmask.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const inverted = ~value >>> 0;
  if ((inverted & (inverted + 1)) !== 0) return { error: `persistence netmask ${netmask} is not contiguous` };
  return 32 - Math.log2(inverted + 1);
}
