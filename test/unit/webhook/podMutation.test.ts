import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { VirtualServer } from '../../../src/kube/virtualServer.js';
import { admitPod, type JsonPatchOperation } from '../../../src/webhook/podMutation.js';
import { selectingVirtualServers } from '../../../src/webhook/podSelection.js';

const settings = { image: 'tsvs:1' };
const vs = (name: string, realServers: VirtualServer['spec']['realServers'], vip?: string, namespace = 'ns'): VirtualServer => ({
  apiVersion: 'tsvs.io/v1alpha1',
  kind: 'VirtualServer',
  metadata: { name, namespace },
  spec: { forwardingMethod: 'DR', ports: [{ protocol: 'TCP', port: 80, targetPort: 8080, scheduler: 'mh' }], realServers },
  ...(vip && { status: { vip } }),
});
const pod = (labels: Record<string, string>, spec: Partial<NonNullable<V1Pod['spec']>> = {}, annotations?: Record<string, string>): V1Pod => ({
  metadata: { name: 'p', namespace: 'ns', labels, ...(annotations && { annotations }) },
  spec: { containers: [{ name: 'app', image: 'app' }], ...spec },
});
const services: Record<string, V1Service> = {
  'ns/web': { metadata: { name: 'web', namespace: 'ns' }, spec: { selector: { app: 'web' } } },
  'ns/headless-all': { metadata: { name: 'headless-all', namespace: 'ns' }, spec: {} },
};
const service = (namespace: string, name: string) => services[`${namespace}/${name}`];

/** Applies the JSON patch operations admitPod emits (add to objects, arrays and array ends). */
function applyPatch(doc: unknown, patch: JsonPatchOperation[]): unknown {
  const copy = structuredClone(doc) as Record<string, unknown>;
  for (const op of patch) {
    const parts = op.path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop()!;
    const parent = parts.reduce<Record<string, unknown>>((o, k) => o[k] as Record<string, unknown>, copy);
    if (Array.isArray(parent)) parent.splice(last === '-' ? parent.length : Number(last), 0, op.value);
    else parent[last] = op.value;
  }
  return copy;
}

describe('selectingVirtualServers', () => {
  const all = [
    vs('via-service', { serviceName: 'web' }),
    vs('via-labels', { selector: { matchLabels: { tier: 'front' } } }),
    vs('empty-selector', { selector: { matchLabels: {} } }),
    vs('selectorless-service', { serviceName: 'headless-all' }),
    vs('missing-service', { serviceName: 'nope' }),
    vs('other-namespace', { serviceName: 'web' }, undefined, 'other'),
  ];
  it('selects through the Service selector and through the VirtualServer selector, in the pod namespace only', () => {
    expect(selectingVirtualServers(pod({ app: 'web', tier: 'front' }), all, service).map((v) => v.metadata.name)).toEqual(['via-service', 'via-labels']);
  });
  it('never selects through an empty selector, a selectorless Service or a missing one', () => {
    expect(selectingVirtualServers(pod({}), all, service)).toEqual([]);
  });
  it('ignores VirtualServers being deleted', () => {
    const deleting = { ...vs('via-service', { serviceName: 'web' }), metadata: { name: 'd', namespace: 'ns', deletionTimestamp: new Date() } };
    expect(selectingVirtualServers(pod({ app: 'web' }), [deleting], service)).toEqual([]);
  });
});

describe('admitPod', () => {
  const selectedBy = [vs('web', { serviceName: 'web' }, '10.0.0.1')];
  const context = { selectedBy, podSecurityEnforce: undefined };

  it('adds the annotation, the init container first and the downward-API volume to a pod without any', () => {
    const input = pod({ app: 'web' });
    const result = admitPod(input, context, settings);
    expect(result.allowed).toBe(true);
    if (!result.allowed) return;
    const out = applyPatch(input, result.patch) as V1Pod;
    expect(JSON.parse(out.metadata!.annotations!['tsvs.io/realserver']!)).toEqual({
      vips: ['10.0.0.1'],
      redirects: [{ vip: '10.0.0.1', protocol: 'tcp', port: 80, targetPort: 8080 }],
    });
    expect(out.spec!.initContainers!.map((c) => c.name)).toEqual(['tsvs-realserver']);
    expect(out.spec!.initContainers![0]!.securityContext!.capabilities!.add).toEqual(['NET_ADMIN']);
    expect(out.spec!.volumes).toEqual([
      { name: 'tsvs-realserver', downwardAPI: { items: [{ path: 'config.json', fieldRef: { fieldPath: "metadata.annotations['tsvs.io/realserver']" } }] } },
    ]);
    expect(out.spec!.containers).toEqual(input.spec!.containers);
  });

  it('keeps existing annotations, init containers (ours goes first) and volumes', () => {
    const input = pod({ app: 'web' }, { initContainers: [{ name: 'setup', image: 'x' }], volumes: [{ name: 'data', emptyDir: {} }] }, { keep: 'me' });
    const result = admitPod(input, context, settings);
    if (!result.allowed) throw new Error('refused');
    const out = applyPatch(input, result.patch) as V1Pod;
    expect(out.metadata!.annotations!.keep).toBe('me');
    expect(out.spec!.initContainers!.map((c) => c.name)).toEqual(['tsvs-realserver', 'setup']);
    expect(out.spec!.volumes!.map((v) => v.name)).toEqual(['data', 'tsvs-realserver']);
  });

  it('writes an empty VIP list while no VIP is allocated, so the init container waits', () => {
    const result = admitPod(pod({ app: 'web' }), { selectedBy: [vs('web', { serviceName: 'web' })], podSecurityEnforce: undefined }, settings);
    if (!result.allowed) throw new Error('refused');
    expect(result.patch[0]!.value).toEqual({ 'tsvs.io/realserver': '{"vips":[],"redirects":[]}' });
  });

  it('leaves alone pods selected by nothing, and pods labelled out', () => {
    expect(admitPod(pod({}), { selectedBy: [], podSecurityEnforce: undefined }, settings)).toEqual({ allowed: true, patch: [], warnings: [] });
    expect(admitPod(pod({ 'tsvs.io/realserver-inject': 'false' }), context, settings)).toEqual({ allowed: true, patch: [], warnings: [] });
  });

  it('refuses a selected hostNetwork pod and a name clash, saying why', () => {
    const host = admitPod(pod({}, { hostNetwork: true }), context, settings);
    expect(host).toMatchObject({ allowed: false, code: 422 });
    expect(!host.allowed && host.message).toMatch(/VirtualServer web but uses hostNetwork/);
    const clash = admitPod(pod({}, { volumes: [{ name: 'tsvs-realserver', emptyDir: {} }] }), context, settings);
    expect(!clash.allowed && clash.message).toMatch(/clashes with the one tsvs injects/);
  });

  it('lets an already injected pod through unchanged', () => {
    const injected = pod({}, { initContainers: [{ name: 'tsvs-realserver', image: 'tsvs:1' }] }, { 'tsvs.io/realserver': '{"vips":[]}' });
    expect(admitPod(injected, context, settings)).toEqual({ allowed: true, patch: [], warnings: [] });
  });

  it('under Pod Security baseline or restricted: no mutation, a warning that names the reason', () => {
    for (const level of ['baseline', 'restricted']) {
      const result = admitPod(pod({}), { selectedBy, podSecurityEnforce: level }, settings);
      expect(result).toMatchObject({ allowed: true, patch: [] });
      expect(result.allowed && result.warnings[0]).toMatch(new RegExp(`enforces Pod Security "${level}", which forbids the NET_ADMIN`));
    }
    expect(admitPod(pod({}), { selectedBy, podSecurityEnforce: 'privileged' }, settings)).toMatchObject({ allowed: true, warnings: [] });
  });
});
