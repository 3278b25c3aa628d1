import type { V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { desiredVirtualServers, isServedService } from '../../../src/controllers/serviceVirtualServers.js';

function service(spec: Partial<NonNullable<V1Service['spec']>> = {}, annotations?: Record<string, string>): V1Service {
  return {
    metadata: { name: 'web', namespace: 'shop', uid: 'u-1', annotations },
    spec: { type: 'LoadBalancer', loadBalancerClass: 'tsvs.io/ipvs', ipFamilies: ['IPv4'], ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }], ...spec },
  };
}

const config = { loadBalancerClass: 'tsvs.io/ipvs', defaultClass: false };

describe('isServedService', () => {
  it.each([
    ['its own class', service(), config, true],
    ['another class', service({ loadBalancerClass: 'x.io/y' }), config, false],
    ['no class when not the default', service({ loadBalancerClass: undefined }), config, false],
    ['no class when the default', service({ loadBalancerClass: undefined }), { ...config, defaultClass: true }, true],
    ['another class even when the default', service({ loadBalancerClass: 'x.io/y' }), { ...config, defaultClass: true }, false],
    ['a ClusterIP Service', service({ type: 'ClusterIP' }), config, false],
  ])('%s → %s', (_what, svc, cfg, served) => {
    expect(isServedService(svc, cfg)).toBe(served);
  });
});

describe('desiredVirtualServers', () => {
  it('makes one owned, labelled VirtualServer with Maglev hashing over address and port', () => {
    const result = desiredVirtualServers(service());
    expect(result).toEqual({
      ok: true,
      virtualServers: [
        {
          apiVersion: 'tsvs.io/v1alpha1',
          kind: 'VirtualServer',
          metadata: {
            name: 'web',
            namespace: 'shop',
            labels: { 'tsvs.io/service-name': 'web', 'app.kubernetes.io/managed-by': 'tsvs-controller' },
            ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'u-1', controller: true, blockOwnerDeletion: true }],
          },
          spec: {
            ipFamily: 'IPv4',
            forwardingMethod: 'DR',
            ports: [{ protocol: 'TCP', port: 80, scheduler: 'mh', schedulerFlags: ['fallback', 'port'] }],
            realServers: { serviceName: 'web' },
          },
        },
      ],
    });
  });

  it('carries a differing numeric targetPort with the real-server redirect, and ignores a named one', () => {
    const result = desiredVirtualServers(service({ ports: [{ name: 'a', port: 80, targetPort: 8080 }, { name: 'b', port: 81, targetPort: 'metrics' }] }));
    const vs = result.ok ? result.virtualServers[0]! : undefined;
    expect(vs?.spec.realServerPortRedirect).toBe(true);
    expect(vs?.spec.ports).toEqual([
      { name: 'a', protocol: 'TCP', port: 80, targetPort: 8080, scheduler: 'mh', schedulerFlags: ['fallback', 'port'] },
      { name: 'b', protocol: 'TCP', port: 81, scheduler: 'mh', schedulerFlags: ['fallback', 'port'] },
    ]);
  });

  it('passes pool and sharing key from annotations', () => {
    const result = desiredVirtualServers(service({}, { 'tsvs.io/address-pool': 'edge', 'tsvs.io/allow-shared-ip': 'k' }));
    expect(result.ok && result.virtualServers[0]!.spec).toMatchObject({ pool: 'edge', sharingKey: 'k' });
  });

  it('makes one VirtualServer per family for dual stack, in the Service family order', () => {
    const result = desiredVirtualServers(service({ ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv6', 'IPv4'] }, { 'tsvs.io/loadBalancerIPs': '192.0.2.1, 2001:db8::1' }));
    expect(result.ok && result.virtualServers.map((v) => [v.metadata.name, v.spec.ipFamily, v.spec.vip])).toEqual([
      ['web', 'IPv6', '2001:db8::1'],
      ['web-ipv4', 'IPv4', '192.0.2.1'],
    ]);
  });

  it('takes spec.loadBalancerIP when no annotation is set, and the annotation first', () => {
    expect(desiredVirtualServers(service({ loadBalancerIP: '192.0.2.9' }))).toMatchObject({ ok: true, virtualServers: [{ spec: { vip: '192.0.2.9' } }] });
    expect(desiredVirtualServers(service({ loadBalancerIP: '192.0.2.9' }, { 'tsvs.io/loadBalancerIPs': '192.0.2.10' }))).toMatchObject({
      ok: true,
      virtualServers: [{ spec: { vip: '192.0.2.10' } }],
    });
  });

  it.each([
    [{ 'tsvs.io/loadBalancerIPs': 'a.b.c.d' }, {}, "tsvs.io/loadBalancerIPs: 'a.b.c.d' is not an IP address"],
    [{ 'tsvs.io/loadBalancerIPs': '192.0.2.1,192.0.2.2' }, {}, 'tsvs.io/loadBalancerIPs: more than one IPv4 address'],
    [{ 'tsvs.io/loadBalancerIPs': '2001:db8::1' }, {}, "tsvs.io/loadBalancerIPs: 2001:db8::1 is IPv6, but the Service's IP families are IPv4"],
    [undefined, { loadBalancerIP: 'x' }, "spec.loadBalancerIP: 'x' is not an IP address"],
  ])('refuses requested addresses %j %j', (annotations, spec, message) => {
    expect(desiredVirtualServers(service(spec, annotations))).toEqual({ ok: false, reason: 'InvalidLoadBalancerIPs', message });
  });

  it('refuses a Service without ports', () => {
    expect(desiredVirtualServers(service({ ports: [] }))).toMatchObject({ ok: false, reason: 'NoPorts' });
  });
});
