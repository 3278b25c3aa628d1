import { beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace, refusal, testKubeConfig, virtualServerApi } from '../support/kube.js';

type Spec = Record<string, unknown>;

const validSpec = {
  vip: '192.0.2.10',
  ports: [
    { name: 'http', port: 80, scheduler: 'mh', schedulerFlags: ['port'] },
    { name: 'dns', protocol: 'UDP', port: 53, scheduler: 'rr' },
  ],
  realServers: { serviceName: 'web' },
  healthCheck: { type: 'HTTP', path: '/healthz', expectedStatus: 200 },
  vrrp: { group: 7, advertisementIntervalMs: 100 },
};

function virtualServer(name: string, spec: Spec) {
  return { apiVersion: 'tsvs.io/v1alpha1', kind: 'VirtualServer', metadata: { name }, spec };
}

describe('VirtualServer CRD on a real kube-apiserver', () => {
  let vs: ReturnType<typeof virtualServerApi>;

  beforeAll(async () => {
    const kc = testKubeConfig();
    vs = virtualServerApi(kc, await createTestNamespace(kc, 'crd'));
  });

  it('accepts a valid VirtualServer, fills the defaults and reads it back', async () => {
    await vs.create(virtualServer('web', validSpec));
    const stored = (await vs.get('web')) as { spec: Spec & { ports: Spec[]; healthCheck: Spec } };
    expect(stored.spec.vip).toBe('192.0.2.10');
    expect(stored.spec.forwardingMethod).toBe('DR');
    expect(stored.spec.ports[0]).toMatchObject({ port: 80, protocol: 'TCP', scheduler: 'mh', schedulerFlags: ['port'] });
    expect(stored.spec.ports[1]).toMatchObject({ port: 53, protocol: 'UDP', scheduler: 'rr' });
    expect(stored.spec.healthCheck).toMatchObject({ intervalSeconds: 5, timeoutSeconds: 2, unhealthyThreshold: 3 });
  });

  it('accepts an IPv6 VIP and a VirtualServer without a VIP (to be allocated)', async () => {
    await vs.create(virtualServer('v6', { ...validSpec, vip: '2001:db8::10' }));
    const { vip: _vip, ...withoutVip } = validSpec;
    await vs.create(virtualServer('pooled', { ...withoutVip, pool: 'default' }));
    expect(((await vs.get('pooled')) as { spec: Spec }).spec.vip).toBeUndefined();
  });

  it('keeps status apart from spec (status subresource)', async () => {
    await vs.create(virtualServer('with-status', { ...validSpec, status: undefined }));
    const created = (await vs.get('with-status')) as { status?: unknown; metadata: { generation: number } };
    expect(created.status).toBeUndefined();
    expect(created.metadata.generation).toBe(1);
  });

  const refused: Array<[string, Spec, RegExp]> = [
    ['a VIP that is not an IP address', { vip: '10.0.0.300' }, /vip must be a unicast IPv4 or IPv6 address/],
    ['a loopback VIP', { vip: '127.0.0.1' }, /vip must be a unicast/],
    ['a multicast IPv6 VIP', { vip: 'ff02::1' }, /vip must be a unicast/],
    ['a port out of range', { ports: [{ port: 70000 }] }, /spec\.ports\[0\]\.port: Invalid value: 70000: .*less than or equal to 65535/],
    ['port 0', { ports: [{ port: 0 }] }, /spec\.ports\[0\]\.port: Invalid value: 0: .*greater than or equal to 1/],
    ['an unknown scheduler', { ports: [{ port: 80, scheduler: 'fastest' }] }, /spec\.ports\[0\]\.scheduler: Unsupported value: "fastest": supported values: .*"mh"/],
    ['duplicate ports', { ports: [{ port: 80 }, { port: 80, protocol: 'TCP' }] }, /spec\.ports\[1\]: Duplicate value/],
    ['a DR port remap', { ports: [{ port: 80, targetPort: 8080 }] }, /direct routing cannot remap ports/],
    ['no ports', { ports: [] }, /spec\.ports: Invalid value: .*should have at least 1 items/],
    ['scheduler flags on a scheduler without them', { ports: [{ port: 80, scheduler: 'rr', schedulerFlags: ['port'] }] }, /schedulerFlags apply only to the sh and mh schedulers/],
    ['both a Service and a selector as real servers', { realServers: { serviceName: 'web', selector: { matchLabels: { app: 'web' } } } }, /exactly one of serviceName or selector/],
    ['an HTTP path on a TCP health check', { healthCheck: { type: 'TCP', path: '/' } }, /path and expectedStatus apply only to HTTP/],
    ['a health check timeout above its interval', { healthCheck: { type: 'TCP', intervalSeconds: 1, timeoutSeconds: 5 } }, /timeoutSeconds must not exceed intervalSeconds/],
    ['a VRRP group out of range', { vrrp: { group: 256 } }, /spec\.vrrp\.group: Invalid value: 256/],
    ['an advertisement interval VRRP cannot carry', { vrrp: { advertisementIntervalMs: 1005 } }, /multiple of 10/],
    ['an unknown forwarding method', { forwardingMethod: 'MAGIC' }, /spec\.forwardingMethod: Unsupported value: "MAGIC"/],
  ];

  it.each(refused)('refuses %s with a readable message', async (_what, change, message) => {
    const name = `bad-${Math.random().toString(16).slice(2, 8)}`;
    const reason = await refusal(vs.create(virtualServer(name, { ...validSpec, ...change })));
    expect(reason).toMatch(message);
    expect(reason).toContain(`VirtualServer.tsvs.io "${name}" is invalid`);
  });

  it('allows a port remap when the forwarding method can translate ports (NAT)', async () => {
    await vs.create(virtualServer('nat', { ...validSpec, forwardingMethod: 'NAT', ports: [{ port: 80, targetPort: 8080 }] }));
    expect(((await vs.get('nat')) as { spec: { ports: Spec[] } }).spec.ports[0]).toMatchObject({ targetPort: 8080 });
  });
});
