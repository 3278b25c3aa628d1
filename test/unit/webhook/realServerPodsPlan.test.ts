import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { VirtualServer } from '../../../src/kube/virtualServer.js';
import { planRealServerPods } from '../../../src/webhook/realServerPodsPlan.js';

const vs = (name: string, app: string, vip?: string, namespace = 'ns'): VirtualServer => ({
  apiVersion: 'tsvs.io/v1alpha1',
  kind: 'VirtualServer',
  metadata: { name, namespace },
  spec: { forwardingMethod: 'DR', ports: [{ protocol: 'TCP', port: 80, scheduler: 'mh' }], realServers: { selector: { matchLabels: { app } } } },
  ...(vip && { status: { vip } }),
});
const pod = (name: string, app: string, annotation?: string, extra: Partial<V1Pod> = {}): V1Pod => ({
  metadata: { name, namespace: 'ns', labels: { app }, ...(annotation !== undefined && { annotations: { 'tsvs.io/realserver': annotation } }) },
  spec: { containers: [] },
  ...extra,
});
const plan = (virtualServers: VirtualServer[], pods: V1Pod[], enforce?: string) =>
  planRealServerPods({ virtualServers, pods, service: () => undefined, podSecurityEnforce: () => enforce });

describe('planRealServerPods', () => {
  it('gives a waiting pod (empty VIP list) its VIPs once allocated', () => {
    const p = plan([vs('web', 'web', '10.0.0.1')], [pod('w1', 'web', '{"vips":[]}')]);
    expect(p.annotate).toEqual([{ namespace: 'ns', name: 'w1', value: '{"vips":["10.0.0.1"],"redirects":[]}' }]);
    expect(p.conditions.get('ns/web')).toMatchObject({ status: 'True', reason: 'AllPodsConfigured' });
  });

  it('leaves a waiting pod alone while there is still no VIP', () => {
    expect(plan([vs('web', 'web')], [pod('w1', 'web', '{"vips":[]}')]).annotate).toEqual([]);
  });

  it('never rewrites a pod that already has VIPs: one missing the VIP is reported instead', () => {
    const p = plan([vs('web', 'web', '10.0.0.1'), vs('web2', 'web', '10.0.0.2')], [pod('w1', 'web', '{"vips":["10.0.0.1"]}')]);
    expect(p.annotate).toEqual([]);
    expect(p.conditions.get('ns/web')).toMatchObject({ status: 'True' });
    expect(p.conditions.get('ns/web2')).toMatchObject({ status: 'False', reason: 'PodsMissingVIP' });
    expect(p.conditions.get('ns/web2')!.message).toContain('w1');
  });

  it('reports selected pods without the annotation (webhook down, or labelled out)', () => {
    const p = plan([vs('web', 'web', '10.0.0.1')], [pod('w1', 'web'), pod('w2', 'web', '{"vips":["10.0.0.1"]}')]);
    expect(p.conditions.get('ns/web')).toMatchObject({ status: 'False', reason: 'PodsNotInjected' });
    expect(p.conditions.get('ns/web')!.message).toMatch(/^1 selected pods .*: w1$/);
  });

  it('ignores finished and terminating pods, and pods of other VirtualServers', () => {
    const p = plan(
      [vs('web', 'web', '10.0.0.1')],
      [pod('done', 'web', undefined, { status: { phase: 'Succeeded' } }), pod('db', 'db'), { ...pod('gone', 'web'), metadata: { ...pod('gone', 'web').metadata, deletionTimestamp: new Date() } }],
    );
    expect(p.conditions.get('ns/web')).toEqual({ status: 'True', reason: 'AllPodsConfigured', message: '0 selected pods carry the real-server configuration' });
  });

  it('says when the namespace enforces Pod Security baseline or restricted', () => {
    for (const level of ['baseline', 'restricted']) {
      expect(plan([vs('web', 'web', '10.0.0.1')], [pod('w1', 'web')], level).conditions.get('ns/web')).toMatchObject({ status: 'False', reason: 'PodSecurityForbidsNetAdmin' });
    }
  });

  it('lists at most five pods by name', () => {
    const pods = Array.from({ length: 7 }, (_, i) => pod(`w${i}`, 'web'));
    expect(plan([vs('web', 'web', '10.0.0.1')], pods).conditions.get('ns/web')!.message).toMatch(/w0, w1, w2, w3, w4 and 2 more$/);
  });
});
