import { describe, expect, it } from 'vitest';
import { virtualServerReadiness } from '../../../src/controllers/virtualServerReadiness.js';
import type { VirtualServerNodeStatus } from '../../../src/kube/virtualServer.js';

const live = new Set(['n1', 'n2', 'n3']);
const master = (name: string, realServers = 4, programmed = true): VirtualServerNodeStatus => ({ name, role: 'Master', programmed, realServers, message: 'tier 1' });
const backup = (name: string, realServers = 1, programmed = true): VirtualServerNodeStatus => ({ name, role: 'Backup', programmed, realServers, message: 'tier 2' });
const readiness = (entries: VirtualServerNodeStatus[], over: Partial<Parameters<typeof virtualServerReadiness>[0]> = {}) =>
  virtualServerReadiness({ vipAllocated: true, entries, liveNodes: live, generation: 3, ...over });

describe('virtualServerReadiness', () => {
  it('names the master, takes its real servers as the ready count, and is Programmed and Ready', () => {
    expect(readiness([backup('n1'), master('n2'), backup('n3')])).toEqual({
      masterNode: 'n2',
      readyRealServers: 4,
      programmed: { type: 'Programmed', status: 'True', reason: 'Programmed', message: 'master n2; 3 nodes programmed', observedGeneration: 3 },
      ready: { type: 'Ready', status: 'True', reason: 'Ready', message: '4 real servers behind master n2', observedGeneration: 3 },
    });
  });

  it('waits for a VIP before anything else', () => {
    const r = readiness([master('n1')], { vipAllocated: false });
    expect(r.programmed).toMatchObject({ status: 'False', reason: 'NoVIP' });
    expect(r.ready).toMatchObject({ status: 'False', reason: 'NoVIP' });
  });

  it('is not Programmed without a master, and says who reports', () => {
    expect(readiness([])).toMatchObject({ programmed: { status: 'False', reason: 'NoMaster', message: 'no speaker on a Ready node reports this VirtualServer' } });
    const r = readiness([backup('n1'), backup('n3')]);
    expect(r.masterNode).toBeUndefined();
    expect(r.readyRealServers).toBeUndefined();
    expect(r.programmed).toMatchObject({ status: 'False', reason: 'NoMaster', message: 'no Ready node is VRRP master (reporting: n1, n3)' });
    expect(r.ready).toMatchObject({ status: 'False', reason: 'NoMaster' });
  });

  it('ignores the entries of nodes that are gone or not Ready: a dead master is not the master', () => {
    const r = readiness([master('n1'), master('dead'), backup('n2')], { liveNodes: new Set(['n1', 'n2']) });
    expect(r.masterNode).toBe('n1');
    expect(readiness([master('dead'), backup('n2')], { liveNodes: new Set(['n2']) }).programmed.reason).toBe('NoMaster');
  });

  it('prefers a programmed master while two say Master during an election', () => {
    expect(readiness([master('n1', 4, false), master('n2')]).masterNode).toBe('n2');
    expect(readiness([master('n2'), master('n1')]).masterNode).toBe('n1');
  });

  it('is not Programmed while a node failed to program, with each node’s message', () => {
    const r = readiness([master('n1'), { ...backup('n2', 1, false), message: 'IPVS write failed: EINVAL' }]);
    expect(r.programmed).toMatchObject({ status: 'False', reason: 'NodesNotProgrammed', message: 'n2: IPVS write failed: EINVAL' });
    expect(r.ready).toMatchObject({ status: 'False', reason: 'NodesNotProgrammed' });
    expect(r.masterNode).toBe('n1');
  });

  it('is Programmed but not Ready with no ready real server', () => {
    const r = readiness([master('n1', 0)]);
    expect(r.programmed.status).toBe('True');
    expect(r.readyRealServers).toBe(0);
    expect(r.ready).toMatchObject({ status: 'False', reason: 'NoReadyRealServers' });
  });

  it('leaves observedGeneration out when the object has none', () => {
    expect(readiness([master('n1')], { generation: undefined }).ready).not.toHaveProperty('observedGeneration');
  });
});
