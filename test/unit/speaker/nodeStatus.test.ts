import { describe, expect, it } from 'vitest';
import { speakerStatuses } from '../../../src/speaker/nodeStatus.js';
import type { VirtualServerNodeState } from '../../../src/speaker/nodeState.js';

const vs = (name: string, role: 'Master' | 'Backup'): VirtualServerNodeState => ({
  key: `app/${name}`,
  namespace: 'app',
  name,
  vip: '192.0.2.10',
  family: 4,
  vrid: 9,
  role,
  realServers: role === 'Master' ? 3 : 1,
  message: `${role} message`,
});

describe('speakerStatuses', () => {
  it('reports this node in status.nodes and nothing else (masterNode is the controller’s)', () => {
    const statuses = speakerStatuses('n1', { virtualServers: [vs('a', 'Master'), vs('b', 'Backup')], rejected: [], owners: new Map() }, new Map());
    expect(statuses).toEqual(
      new Map([
        ['app/a', { nodes: [{ name: 'n1', role: 'Master', programmed: true, realServers: 3, message: 'Master message' }] }],
        ['app/b', { nodes: [{ name: 'n1', role: 'Backup', programmed: true, realServers: 1, message: 'Backup message' }] }],
      ]),
    );
  });

  it('says not programmed, with the kernel error, for a VirtualServer whose IPVS writes failed', () => {
    const owners = new Map([['tcp/192.0.2.10/80', 'app/a']]);
    const statuses = speakerStatuses('n1', { virtualServers: [vs('a', 'Backup')], rejected: [], owners }, new Map([['tcp/192.0.2.10/80', 'EINVAL']]));
    expect(statuses.get('app/a')!.nodes).toEqual([{ name: 'n1', role: 'Backup', programmed: false, realServers: 1, message: 'IPVS write failed: tcp/192.0.2.10/80: EINVAL' }]);
  });

  it('gives a rejected VirtualServer the reason, and skips objects without a name', () => {
    const statuses = speakerStatuses('n1', { virtualServers: [], rejected: [{ key: 'app/bad', reason: 'spec.ports: too small' }, { key: '?/?', reason: 'metadata' }], owners: new Map() }, new Map());
    expect(statuses).toEqual(new Map([['app/bad', { nodes: [{ name: 'n1', programmed: false, message: 'not programmed: spec.ports: too small' }] }]]));
  });
});
