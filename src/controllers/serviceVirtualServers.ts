import type { V1Service } from '@kubernetes/client-node';
import type { VirtualServer, VirtualServerPort } from '../kube/virtualServer.js';
import { parseIp, type IpFamily } from './ipam/ipAddress.js';

/** Annotations a Service can carry for tsvs. */
export const serviceAnnotations = {
  /** Comma-separated VIPs, at most one per IP family (takes precedence over spec.loadBalancerIP). */
  loadBalancerIPs: 'tsvs.io/loadBalancerIPs',
  addressPool: 'tsvs.io/address-pool',
  /** Services with the same key may share a VIP when their ports do not clash. */
  sharingKey: 'tsvs.io/allow-shared-ip',
} as const;

export const serviceNameLabel = 'tsvs.io/service-name';
export const managedByLabel = 'app.kubernetes.io/managed-by';
export const controllerName = 'tsvs-controller';

export interface ServiceClassConfig {
  loadBalancerClass: string;
  /** Also serve LoadBalancer Services that name no class. */
  defaultClass: boolean;
}

export function isServedService(service: V1Service, config: ServiceClassConfig): boolean {
  if (service.spec?.type !== 'LoadBalancer') return false;
  const cls = service.spec.loadBalancerClass;
  return cls === config.loadBalancerClass || (cls === undefined && config.defaultClass);
}

export type DesiredVirtualServers =
  | { ok: true; virtualServers: VirtualServer[] }
  | { ok: false; reason: 'InvalidLoadBalancerIPs' | 'NoPorts'; message: string };

/**
 * The VirtualServers a served Service should own: one per IP family it asks
 * for (named after the Service, and `<name>-ipv6`/`<name>-ipv4` for the second
 * family), each with the Service's ports, Maglev hashing over address and port
 * (so flows keep their pod across director failover) and the Service as the
 * source of real servers. A targetPort that differs from its port is carried
 * with realServerPortRedirect: the real-server init container redirects the
 * port inside the pod, since direct routing cannot rewrite it.
 */
export function desiredVirtualServers(service: V1Service): DesiredVirtualServers {
  const name = service.metadata!.name!;
  const annotations = service.metadata?.annotations ?? {};
  const families = serviceFamilies(service);
  const requested = requestedIps(service, families);
  if (!requested.ok) return requested;
  const ports = (service.spec?.ports ?? []).map(virtualServerPort);
  if (ports.length === 0) return { ok: false, reason: 'NoPorts', message: 'the Service has no ports' };
  const redirect = ports.some((p) => p.targetPort !== undefined);
  const virtualServers = families.map((family, i): VirtualServer => {
    const vip = requested.byFamily.get(family);
    const pool = annotations[serviceAnnotations.addressPool];
    const sharingKey = annotations[serviceAnnotations.sharingKey];
    return {
      apiVersion: 'tsvs.io/v1alpha1',
      kind: 'VirtualServer',
      metadata: {
        name: i === 0 ? name : `${name}-${family.toLowerCase()}`,
        namespace: service.metadata!.namespace,
        labels: { [serviceNameLabel]: name, [managedByLabel]: controllerName },
        ownerReferences: [
          { apiVersion: 'v1', kind: 'Service', name, uid: service.metadata!.uid!, controller: true, blockOwnerDeletion: true },
        ],
      },
      spec: {
        ...(vip !== undefined && { vip }),
        ...(pool !== undefined && { pool }),
        ipFamily: family,
        ...(sharingKey !== undefined && { sharingKey }),
        ...(redirect && { realServerPortRedirect: true }),
        forwardingMethod: 'DR',
        ports,
        realServers: { serviceName: name },
      },
    };
  });
  return { ok: true, virtualServers };
}

function serviceFamilies(service: V1Service): IpFamily[] {
  const families = (service.spec?.ipFamilies ?? ['IPv4']) as IpFamily[];
  const policy = service.spec?.ipFamilyPolicy ?? 'SingleStack';
  return policy === 'SingleStack' ? families.slice(0, 1) : families;
}

function requestedIps(service: V1Service, families: IpFamily[]) {
  const annotation = service.metadata?.annotations?.[serviceAnnotations.loadBalancerIPs];
  const source = annotation !== undefined ? serviceAnnotations.loadBalancerIPs : 'spec.loadBalancerIP';
  const texts = (annotation ?? service.spec?.loadBalancerIP ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const byFamily = new Map<IpFamily, string>();
  for (const text of texts) {
    const ip = parseIp(text);
    if (!ip) return { ok: false as const, reason: 'InvalidLoadBalancerIPs' as const, message: `${source}: '${text}' is not an IP address` };
    if (byFamily.has(ip.family)) {
      return { ok: false as const, reason: 'InvalidLoadBalancerIPs' as const, message: `${source}: more than one ${ip.family} address` };
    }
    if (!families.includes(ip.family)) {
      return {
        ok: false as const,
        reason: 'InvalidLoadBalancerIPs' as const,
        message: `${source}: ${text} is ${ip.family}, but the Service's IP families are ${families.join(', ')}`,
      };
    }
    byFamily.set(ip.family, text);
  }
  return { ok: true as const, byFamily };
}

function virtualServerPort(port: NonNullable<V1Service['spec']>['ports'] extends (infer P)[] | undefined ? P : never): VirtualServerPort {
  const targetPort = typeof port.targetPort === 'number' && port.targetPort !== port.port ? port.targetPort : undefined;
  return {
    ...(port.name ? { name: port.name } : {}),
    protocol: (port.protocol ?? 'TCP') as VirtualServerPort['protocol'],
    port: port.port,
    ...(targetPort !== undefined && { targetPort }),
    scheduler: 'mh',
    // fallback: see the speaker's schedulerFlagsOf (a draining real server keeps its Maglev slots).
    schedulerFlags: ['fallback', 'port'],
  };
}
