import { describe, expect, it } from 'vitest';
import type { VirtualServer } from '../../src/kube/virtualServer.js';
import { agreement, type NodeView } from '../lab/e2eAgreement.js';

const vip = '10.9.0.100';
const key = `TCP ${vip}:80`;
const pods = [
  { ip: '10.244.1.2', node: 'node1' },
  { ip: '10.244.2.2', node: 'node2' },
  { ip: '10.244.3.2', node: 'node3' },
  { ip: '10.244.3.3', node: 'node3' },
];
const route = (ip: string, weight = 1) => ({ server: `${ip}:80`, forward: 'Route', weight });

function virtualServer(nodes: Array<{ name: string; role?: string; programmed?: boolean; realServers?: number }>, masterNode = 'node1'): VirtualServer {
  return {
    apiVersion: 'tsvs.io/v1alpha1',
    kind: 'VirtualServer',
    metadata: { name: 'web', namespace: 'default' },
    spec: { forwardingMethod: 'DR', ports: [{ protocol: 'TCP', port: 80, scheduler: 'mh' }], realServers: { serviceName: 'web' } },
    status: { vip, masterNode, nodes } as VirtualServer['status'],
  };
}

// node1 master (tier 1: every pod), node2 and node3 tier 2 (their own pods).
const views = (): Record<string, NodeView> => ({
  node1: { vipOnNic: true, ipvs: { [key]: pods.map((p) => route(p.ip)) } },
  node2: { vipOnNic: false, ipvs: { [key]: [route('10.244.2.2')] } },
  node3: { vipOnNic: false, ipvs: { [key]: [route('10.244.3.2'), route('10.244.3.3')] } },
});
const status = () => [
  { name: 'node1', role: 'Master', programmed: true, realServers: 4 },
  { name: 'node2', role: 'Backup', programmed: true, realServers: 1 },
  { name: 'node3', role: 'Backup', programmed: true, realServers: 2 },
];

describe('the e2e lab agreement check (kernels vs. VirtualServer status vs. endpoints)', () => {
  it('finds nothing wrong in two tiers that match', () => {
    expect(agreement(virtualServer(status()), views(), pods, 80)).toEqual([]);
  });

  it('names the tables that still send to a removed endpoint, and a status count that is off', () => {
    const problems = agreement(virtualServer(status()), views(), pods.filter((p) => p.ip !== '10.244.3.3'), 80);
    expect(problems).toEqual(['node1 (tier 1) still sends to 10.244.3.3:80', 'node3 (tier 2) still sends to 10.244.3.3:80']);
    const st = status().map((n) => (n.name === 'node2' ? { ...n, realServers: 2 } : n));
    expect(agreement(virtualServer(st), views(), pods, 80)).toEqual(['status.nodes[node2].realServers is 2, ipvsadm lists 1 active']);
  });

  it('accepts a draining (weight 0) entry, but not one that is not direct routing', () => {
    const nodes = views();
    nodes.node3!.ipvs[key] = [route('10.244.3.2'), route('10.244.3.3', 0)];
    const expected = pods.filter((p) => p.ip !== '10.244.3.3');
    nodes.node1!.ipvs[key] = expected.map((p) => route(p.ip));
    const st = status().map((n) => (n.name === 'node1' ? { ...n, realServers: 3 } : n.name === 'node3' ? { ...n, realServers: 1 } : n));
    expect(agreement(virtualServer(st), nodes, expected, 80)).toEqual([]);
    nodes.node2!.ipvs[key] = [{ server: '10.244.2.2:80', forward: 'Masq', weight: 1 }];
    expect(agreement(virtualServer(st), nodes, expected, 80)).toEqual(['node2: not direct routing: 10.244.2.2:80 Masq']);
  });

  it('wants exactly one VIP holder, named as masterNode, and roles as the kernel says', () => {
    const nodes = views();
    nodes.node2!.vipOnNic = true;
    expect(agreement(virtualServer(status()), nodes, pods, 80)).toContain('2 live nodes hold 10.9.0.100 on their NIC (node1, node2)');
    const wrongMaster = agreement(virtualServer(status(), 'node3'), views(), pods, 80);
    expect(wrongMaster).toContain('status.masterNode is node3, the kernel says node1');
    const roles = status().map((n) => (n.name === 'node2' ? { ...n, role: 'Master' } : n));
    expect(agreement(virtualServer(roles), views(), pods, 80)).toEqual(['status.nodes[node2].role is Master, the kernel says Backup']);
  });

  it('wants every live node in status.nodes, programmed', () => {
    const st = status().filter((n) => n.name !== 'node3').map((n) => (n.name === 'node2' ? { ...n, programmed: false } : n));
    expect(agreement(virtualServer(st), views(), pods, 80)).toEqual(['status.nodes[node2].programmed is false', 'status.nodes has no node3']);
  });

  it('lets a backup without local endpoints have no virtual service, but not a tier-2 node that lacks its pods', () => {
    const expected = pods.filter((p) => p.node !== 'node2');
    const nodes = views();
    nodes.node1!.ipvs[key] = expected.map((p) => route(p.ip));
    nodes.node2!.ipvs = {};
    const st = status().map((n) => (n.name === 'node1' ? { ...n, realServers: 3 } : n.name === 'node2' ? { ...n, realServers: 0 } : n));
    expect(agreement(virtualServer(st), nodes, expected, 80)).toEqual([]);
    nodes.node3!.ipvs = {};
    expect(agreement(virtualServer(st), nodes, expected, 80)).toEqual([
      'node3 (tier 2) lacks 10.244.3.2:80, 10.244.3.3:80',
      'node3 has no virtual service TCP 10.9.0.100:80',
      'status.nodes[node3].realServers is 2, ipvsadm lists 0 active',
    ]);
  });
});
