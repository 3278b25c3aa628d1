import { describe, expect, it } from 'vitest';
import { parseDesiredTable } from '../../../../src/ipvs/schema.js';
import { desiredNodeState, healthKey } from '../../../../src/speaker/nodeState.js';
import { defaultVrid, groupKey } from '../../../../src/speaker/desired/vrrpGroups.js';
import { maglevService } from '../../../support/ipvsFixtures.js';
import { endpointSlice, node, pod, stateInput, virtualServer } from './fixtures.js';

const vip = '192.0.2.10';
const vrid = defaultVrid(vip);
const master = new Map([[groupKey(4, vrid), 'master' as const]]);
const backup = new Map([[groupKey(4, vrid), 'backup' as const]]);

const web = virtualServer('web', { vip });
const webSlice = endpointSlice('web', [
  { address: '10.0.1.5', node: 'n1', pod: 'web-a' },
  { address: '10.0.2.5', node: 'n2', pod: 'web-b' },
  { address: '10.0.3.5', node: 'n3', pod: 'web-c' },
]);

const destinations = (state: ReturnType<typeof desiredNodeState>, port = 80) =>
  state.table.find((s) => s.service.protocol !== 'fwmark' && s.service.port === port)?.destinations.map((d) => d.address);

describe('desiredNodeState: the two tiers', () => {
  it('programs every ready real server on the master (tier 1), Maglev over address and port, DR', () => {
    const state = desiredNodeState(stateInput({ virtualServers: [web], endpointSlices: [webSlice], roles: master }));
    expect(state.table).toEqual([
      {
        service: maglevService(vip, 80),
        destinations: ['10.0.1.5', '10.0.2.5', '10.0.3.5'].map((address) => ({ address, port: 80, forwarding: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0 })),
      },
    ]);
    expect(state.virtualServers).toEqual([
      expect.objectContaining({ key: 'app/web', role: 'Master', realServers: 3, vrid, vip, message: expect.stringContaining('tier 1') }),
    ]);
    expect(state.vips).toEqual([vip]);
  });

  it("programs only the node's own real servers on a backup (tier 2) and holds the VIP on the dummy device", () => {
    const state = desiredNodeState(stateInput({ virtualServers: [web], endpointSlices: [webSlice], roles: backup }));
    expect(destinations(state)).toEqual(['10.0.1.5']);
    expect(state.heldWhileBackup).toEqual([vip]);
    expect(state.virtualServers[0]).toMatchObject({ role: 'Backup', realServers: 1 });
  });

  it('gives a backup without local real servers no service and does not hold its VIP, yet keeps the VRRP instance', () => {
    const state = desiredNodeState(stateInput({ nodeName: 'n4', nodes: [node('n1'), node('n4')], virtualServers: [web], endpointSlices: [webSlice], roles: backup }));
    expect(state.table).toEqual([]);
    expect(state.heldWhileBackup).toEqual([]);
    expect(state.instances).toEqual([expect.objectContaining({ family: 4, vrid, addresses: [vip] })]);
    expect(state.virtualServers[0]).toMatchObject({ role: 'Backup', realServers: 0, message: expect.stringContaining('not held') });
  });

  it('treats a group in init (or not yet running) as backup', () => {
    const init = desiredNodeState(stateInput({ virtualServers: [web], endpointSlices: [webSlice], roles: new Map([[groupKey(4, vrid), 'init' as const]]) }));
    const none = desiredNodeState(stateInput({ virtualServers: [web], endpointSlices: [webSlice] }));
    expect(destinations(init)).toEqual(['10.0.1.5']);
    expect(destinations(none)).toEqual(['10.0.1.5']);
  });

  it('keeps the master service with no real servers at all', () => {
    const state = desiredNodeState(stateInput({ virtualServers: [web], roles: master }));
    expect(state.table).toHaveLength(1);
    expect(destinations(state)).toEqual([]);
  });
});

describe('desiredNodeState: real servers', () => {
  it('leaves out endpoints that are not ready, counts an unset ready condition as ready, ignores other namespaces and services', () => {
    const slice = endpointSlice('web', [
      { address: '10.0.1.5', node: 'n1', ready: false },
      { address: '10.0.1.6', node: 'n1', ready: null },
      { address: '10.0.2.5', node: 'n2', ready: true },
    ]);
    const otherNamespace = endpointSlice('web', [{ address: '10.9.9.9', node: 'n1' }], { namespace: 'other', name: 'web-other' });
    const otherService = endpointSlice('api', [{ address: '10.8.8.8', node: 'n1' }]);
    const state = desiredNodeState(stateInput({ virtualServers: [web], endpointSlices: [slice, otherNamespace, otherService], roles: master }));
    expect(destinations(state)).toEqual(['10.0.1.6', '10.0.2.5']);
  });

  it('merges slices and counts an endpoint listed twice (moving between slices) once, ready if either says so', () => {
    const a = endpointSlice('web', [{ address: '10.0.1.5', node: 'n1', ready: false }], { name: 'web-a' });
    const b = endpointSlice('web', [{ address: '10.0.1.5', node: 'n1', ready: true }, { address: '10.0.2.5', node: 'n2' }], { name: 'web-b' });
    const state = desiredNodeState(stateInput({ virtualServers: [web], endpointSlices: [a, b], roles: master }));
    expect(destinations(state)).toEqual(['10.0.1.5', '10.0.2.5']);
  });

  it('maps each port to its slice port by name, else by target port; DR keeps the service port, NAT uses the pod port', () => {
    const spec = {
      realServerPortRedirect: true,
      ports: [
        { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, scheduler: 'rr' },
        { port: 443, protocol: 'TCP', targetPort: 8443, scheduler: 'rr' },
      ],
    };
    const slice = endpointSlice('web', [{ address: '10.0.1.5', node: 'n1' }], {
      ports: [
        { name: 'http', port: 8080 },
        { name: 'https', port: 8443 },
      ],
    });
    const dr = desiredNodeState(stateInput({ virtualServers: [virtualServer('web', { vip, spec })], endpointSlices: [slice], roles: master }));
    expect(dr.table.map((s) => [s.service.protocol !== 'fwmark' && s.service.port, s.destinations.map((d) => d.port)])).toEqual([
      [80, [80]],
      [443, [443]],
    ]);
    const nat = desiredNodeState(stateInput({ virtualServers: [virtualServer('web', { vip, spec: { ...spec, forwardingMethod: 'NAT' } })], endpointSlices: [slice], roles: master }));
    expect(nat.table.map((s) => s.destinations.map((d) => [d.forwarding, d.port]))).toEqual([[['nat', 8080]], [['nat', 8443]]]);
  });

  it('skips a slice without a port for the VirtualServer port', () => {
    const slice = endpointSlice('web', [{ address: '10.0.1.5', node: 'n1' }], { ports: [{ port: 9000, protocol: 'UDP' }] });
    expect(destinations(desiredNodeState(stateInput({ virtualServers: [web], endpointSlices: [slice], roles: master })))).toEqual([]);
  });

  it('tunnels with IPIP for TUN', () => {
    const state = desiredNodeState(stateInput({ virtualServers: [virtualServer('web', { vip, spec: { forwardingMethod: 'TUN' } })], endpointSlices: [webSlice], roles: backup }));
    expect(state.table[0]!.destinations).toEqual([
      { address: '10.0.1.5', port: 80, forwarding: 'tunnel', weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnel: { type: 'ipip', port: 0, checksum: false, remoteChecksum: false } },
    ]);
  });

  it('takes real servers of a selector from ready, running, pod-network pods of the family, in its namespace', () => {
    const vs = virtualServer('sel', { vip, spec: { realServers: { selector: { matchLabels: { app: 'web' } } }, ports: [{ port: 80, targetPort: 8080 }] } });
    const pods = [
      pod('a', { ips: ['10.0.1.5', 'fd00::1:5'], node: 'n1' }),
      pod('b', { ips: ['10.0.2.5'], node: 'n2', ready: false }),
      pod('c', { ips: ['10.0.3.5'], node: 'n3', labels: { app: 'other' } }),
      pod('d', { ips: ['192.168.0.3'], node: 'n3', hostNetwork: true }),
      pod('e', { ips: ['fd00::3:5'], node: 'n3' }),
      pod('f', { ips: ['10.0.3.6'], node: 'n3', namespace: 'other' }),
      pod('g', { ips: ['10.0.3.7'], node: 'n3' }),
    ];
    const state = desiredNodeState(stateInput({ virtualServers: [vs], pods, roles: master }));
    expect(destinations(state)).toEqual(['10.0.1.5', '10.0.3.7']);
    expect(state.pods).toEqual(new Map([['10.0.1.5', 'a'], ['10.0.3.7', 'g']]));
    expect(state.owners).toEqual(new Map([[`tcp/${vip}/80`, 'app/sel']]));
  });
});

describe('desiredNodeState: health checks', () => {
  const checked = virtualServer('web', { vip, spec: { healthCheck: { type: 'HTTP', path: '/healthz', intervalSeconds: 5, timeoutSeconds: 2, healthyThreshold: 1, unhealthyThreshold: 3 } } });

  it('leaves out a real server whose check fails; one not yet checked counts', () => {
    const health = new Map([[healthKey('app/web', '10.0.2.5', 80), false], [healthKey('app/web', '10.0.3.5', 80), true]]);
    const state = desiredNodeState(stateInput({ virtualServers: [checked], endpointSlices: [webSlice], roles: master, health }));
    expect(destinations(state)).toEqual(['10.0.1.5', '10.0.3.5']);
    expect(state.virtualServers[0]!.realServers).toBe(2);
  });

  it('ignores verdicts for a VirtualServer without a health check', () => {
    const health = new Map([[healthKey('app/web', '10.0.2.5', 80), false]]);
    expect(destinations(desiredNodeState(stateInput({ virtualServers: [web], endpointSlices: [webSlice], roles: master, health })))).toHaveLength(3);
  });

  it('checks every ready real server on the master, only local ones on a backup, on the check port when one is set', () => {
    const onPort = virtualServer('web', { vip, spec: { healthCheck: { type: 'TCP', port: 9000 } } });
    const slice = endpointSlice('web', [
      { address: '10.0.1.5', node: 'n1' },
      { address: '10.0.1.6', node: 'n1', ready: false },
      { address: '10.0.2.5', node: 'n2' },
    ]);
    const onMaster = desiredNodeState(stateInput({ virtualServers: [onPort], endpointSlices: [slice], roles: master }));
    expect(onMaster.healthTargets.map((t) => [t.address, t.port])).toEqual([
      ['10.0.1.5', 9000],
      ['10.0.2.5', 9000],
    ]);
    expect(onMaster.healthTargets[0]).toMatchObject({ key: healthKey('app/web', '10.0.1.5', 9000), virtualServer: 'app/web', check: { type: 'TCP', intervalSeconds: 5, unhealthyThreshold: 3 } });
    const onBackup = desiredNodeState(stateInput({ virtualServers: [onPort], endpointSlices: [slice], roles: backup }));
    expect(onBackup.healthTargets.map((t) => t.address)).toEqual(['10.0.1.5']);
  });

  it('drops the VIP from the dummy device when the last local real server fails its check', () => {
    const health = new Map([[healthKey('app/web', '10.0.1.5', 80), false]]);
    const state = desiredNodeState(stateInput({ virtualServers: [checked], endpointSlices: [webSlice], roles: backup, health }));
    expect(state.table).toEqual([]);
    expect(state.heldWhileBackup).toEqual([]);
  });
});

describe('desiredNodeState: services', () => {
  it('honours scheduler, flags (mh defaults to fallback and port) and persistence (IPv4 dotted mask, IPv6 prefix)', () => {
    const ports = [
      { port: 80, protocol: 'TCP', scheduler: 'mh' },
      { port: 81, protocol: 'UDP', scheduler: 'mh', schedulerFlags: [] },
      { port: 82, protocol: 'SCTP', scheduler: 'sh', schedulerFlags: ['fallback', 'port'] },
      { port: 83, protocol: 'TCP', scheduler: 'wlc', persistence: { timeoutSeconds: 300, netmask: '255.255.255.0' } },
    ];
    const state = desiredNodeState(stateInput({ virtualServers: [virtualServer('web', { vip, spec: { ports } })], roles: master }));
    expect(state.table.map((s) => s.service)).toEqual([
      expect.objectContaining({ protocol: 'tcp', port: 80, scheduler: 'mh', schedulerFlags: { flag1: true, flag2: true, flag3: false } }),
      expect.objectContaining({ protocol: 'udp', port: 81, scheduler: 'mh', schedulerFlags: { flag1: false, flag2: false, flag3: false } }),
      expect.objectContaining({ protocol: 'sctp', port: 82, scheduler: 'sh', schedulerFlags: { flag1: true, flag2: true, flag3: false } }),
      expect.objectContaining({ protocol: 'tcp', port: 83, scheduler: 'wlc', persistent: true, persistenceTimeout: 300, netmask: 24 }),
    ]);
    const v6 = virtualServer('web6', { vip: '2001:db8::10', spec: { ports: [{ port: 80, scheduler: 'rr', persistence: { timeoutSeconds: 60, netmask: '64' } }] } });
    const six = desiredNodeState(stateInput({ virtualServers: [v6], roles: new Map([[groupKey(6, defaultVrid('2001:db8::10')), 'master' as const]]) }));
    expect(six.table[0]!.service).toMatchObject({ address: '2001:db8::10', netmask: 64, persistent: true });
  });

  it('hands the IPVS layer a table its own schema accepts unchanged (canonical addresses, netmasks of the family, unique entries)', () => {
    const ports = [
      { port: 80, protocol: 'TCP', scheduler: 'mh' },
      { port: 80, protocol: 'UDP', scheduler: 'rr', persistence: { timeoutSeconds: 60 } },
    ];
    const v4 = virtualServer('web', { vip, spec: { ports } });
    const v6 = virtualServer('web-ipv6', { vip: '2001:db8:0::10', spec: { ports, forwardingMethod: 'TUN', realServers: { serviceName: 'web' } } });
    const slices = [webSlice, endpointSlice('web', [{ address: 'fd00:0::1:5', node: 'n2' }], { name: 'web-v6', addressType: 'IPv6', ports: [{ port: 80, protocol: 'TCP' }, { port: 80, protocol: 'UDP' }] })];
    const roles = new Map([
      [groupKey(4, vrid), 'master' as const],
      [groupKey(6, defaultVrid('2001:db8::10')), 'master' as const],
    ]);
    const { table } = desiredNodeState(stateInput({ virtualServers: [v4, v6], endpointSlices: slices, roles }));
    expect(table).toHaveLength(4);
    expect(parseDesiredTable(table)).toEqual(table);
  });

  it('serves IPv4 and IPv6 VirtualServers side by side, each family its own VRRP instance even with one group number', () => {
    const v4 = virtualServer('web', { vip, spec: { vrrp: { group: 7 } } });
    const v6 = virtualServer('web-ipv6', { vip: '2001:DB8:0:0::10', spec: { vrrp: { group: 7 }, realServers: { serviceName: 'web' } } });
    const slices = [webSlice, endpointSlice('web', [{ address: 'fd00::1:5', node: 'n1' }, { address: 'fd00::2:5', node: 'n2' }], { name: 'web-v6', addressType: 'IPv6' })];
    const roles = new Map([
      [groupKey(4, 7), 'backup' as const],
      [groupKey(6, 7), 'master' as const],
    ]);
    const state = desiredNodeState(stateInput({ virtualServers: [v4, v6], endpointSlices: slices, roles }));
    expect(state.instances.map((i) => [i.family, i.vrid, i.addresses])).toEqual([
      [4, 7, [vip]],
      [6, 7, ['2001:db8::10']],
    ]);
    expect(state.table.map((s) => [s.service.protocol !== 'fwmark' && s.service.address, s.destinations.map((d) => d.address)])).toEqual([
      [vip, ['10.0.1.5']],
      ['2001:db8::10', ['fd00::1:5', 'fd00::2:5']],
    ]);
    expect(state.virtualServers.map((v) => v.role)).toEqual(['Backup', 'Master']);
    expect(state.vips).toEqual(['192.0.2.10', '2001:db8::10']);
  });
});

describe('desiredNodeState: VRRP groups', () => {
  it('puts VirtualServers sharing a VIP into one group (default VRID from the VIP), and several VIPs into a named group', () => {
    const http = virtualServer('http', { vip, spec: { ports: [{ port: 80 }] } });
    const https = virtualServer('https', { vip, spec: { ports: [{ port: 443 }] } });
    const other = virtualServer('other', { vip: '192.0.2.11', spec: { vrrp: { group: 9 } } });
    const third = virtualServer('third', { vip: '192.0.2.12', spec: { vrrp: { group: 9 } } });
    const state = desiredNodeState(stateInput({ virtualServers: [http, https, other, third] }));
    expect(state.instances.map((i) => [i.vrid, i.addresses])).toEqual(
      [
        [vrid, [vip]],
        [9, ['192.0.2.11', '192.0.2.12']],
      ].sort((a, b) => (a[0] as number) - (b[0] as number)),
    );
    expect(state.rejected).toEqual([]);
  });

  it('uses the group an older VirtualServer of the VIP names, and rejects one that names another', () => {
    const old = virtualServer('old', { vip, created: '2026-01-01T00:00:00Z', spec: { ports: [{ port: 80 }], vrrp: { group: 3 } } });
    const unnamed = virtualServer('unnamed', { vip, created: '2026-01-02T00:00:00Z', spec: { ports: [{ port: 81 }] } });
    const clash = virtualServer('clash', { vip, created: '2026-01-03T00:00:00Z', spec: { ports: [{ port: 82 }], vrrp: { group: 4 } } });
    const state = desiredNodeState(stateInput({ virtualServers: [clash, unnamed, old] }));
    expect(state.instances.map((i) => i.vrid)).toEqual([3]);
    expect(state.virtualServers.map((v) => [v.key, v.vrid])).toEqual([
      ['app/old', 3],
      ['app/unnamed', 3],
    ]);
    expect(state.rejected).toEqual([{ key: 'app/clash', reason: expect.stringMatching(/group 3 \(set by app\/old\).*group 4/) }]);
  });

  it('rejects the newer of two VirtualServers serving one VIP:port:protocol, whatever the list order', () => {
    const first = virtualServer('first', { vip, created: '2026-01-01T00:00:00Z' });
    const second = virtualServer('second', { vip, created: '2026-02-01T00:00:00Z' });
    const udp = virtualServer('udp', { vip, created: '2026-03-01T00:00:00Z', spec: { ports: [{ port: 80, protocol: 'UDP' }] } });
    const state = desiredNodeState(stateInput({ virtualServers: [second, udp, first] }));
    expect(state.virtualServers.map((v) => v.key)).toEqual(['app/first', 'app/udp']);
    expect(state.rejected).toEqual([{ key: 'app/second', reason: `VIP ${vip} port 80/TCP is already served by app/first` }]);
  });

  it('advertises at the shortest interval of a group, else the default', () => {
    const slow = virtualServer('slow', { vip, spec: { ports: [{ port: 80 }], vrrp: { advertisementIntervalMs: 2000 } } });
    const fast = virtualServer('fast', { vip, spec: { ports: [{ port: 81 }], vrrp: { advertisementIntervalMs: 300 } } });
    expect(desiredNodeState(stateInput({ virtualServers: [slow, fast] })).instances[0]!.advertIntervalMs).toBe(300);
    expect(desiredNodeState(stateInput({ virtualServers: [web], defaultAdvertIntervalMs: 500 })).instances[0]!.advertIntervalMs).toBe(500);
  });

  it('gives each node of a group a distinct priority, every node the same view', () => {
    const vss = [virtualServer('web', { vip })];
    const nodes = ['n1', 'n2', 'n3', 'n4'].map((n) => node(n));
    const priorities = ['n1', 'n2', 'n3', 'n4'].map((n) => desiredNodeState(stateInput({ nodeName: n, nodes, virtualServers: vss })).instances[0]!.priority);
    expect(new Set(priorities).size).toBe(4);
    expect(Math.max(...priorities)).toBe(254);
    expect(Math.min(...priorities)).toBe(251);
  });
});

describe('desiredNodeState: objects it cannot use', () => {
  it('ignores a VirtualServer without status.vip, or being deleted, without calling it wrong', () => {
    const deleting = { ...virtualServer('gone', { vip }), metadata: { name: 'gone', namespace: 'app', deletionTimestamp: '2026-01-01T00:00:00Z' } };
    const state = desiredNodeState(stateInput({ virtualServers: [virtualServer('pending'), deleting], endpointSlices: [webSlice] }));
    expect(state).toMatchObject({ instances: [], table: [], virtualServers: [], rejected: [], vips: [] });
  });

  it.each([
    ['no ports', { spec: { ports: [] } }, /spec\.ports/],
    ['both kinds of real servers', { spec: { realServers: { serviceName: 'web', selector: { matchLabels: { app: 'web' } } } } }, /exactly one of serviceName or selector/],
    ['an empty selector', { spec: { realServers: { selector: {} } } }, /at least one label/],
    ['a port out of range', { spec: { ports: [{ port: 70000 }] } }, /spec\.ports\.0\.port/],
    ['a port listed twice', { spec: { ports: [{ port: 80 }, { port: 80, protocol: 'TCP' }] } }, /port 80\/TCP is listed twice/],
    ['a VRID out of range', { spec: { vrrp: { group: 256 } } }, /spec\.vrrp\.group/],
    ['a bad persistence mask', { spec: { ports: [{ port: 80, persistence: { timeoutSeconds: 60, netmask: '255.0.255.0' } }] } }, /not contiguous/],
    ['an unknown forwarding method', { spec: { forwardingMethod: 'MASQ' } }, /forwardingMethod/],
  ])('rejects %s with the reason', (_name, change, reason) => {
    const base = virtualServer('bad', { vip });
    const object = { ...base, spec: { ...base.spec, ...change.spec } };
    const state = desiredNodeState(stateInput({ virtualServers: [object, web], endpointSlices: [webSlice] }));
    expect(state.rejected).toEqual([{ key: 'app/bad', reason: expect.stringMatching(reason) }]);
    expect(state.virtualServers.map((v) => v.key)).toEqual(['app/web']);
  });

  it('rejects a status.vip that is not an address, and an object without metadata', () => {
    const state = desiredNodeState(stateInput({ virtualServers: [virtualServer('bad', { vip: 'not-an-ip' }), { spec: {} }] }));
    expect(state.rejected).toEqual([
      { key: 'app/bad', reason: 'status.vip "not-an-ip" is not an IP address' },
      { key: '?/?', reason: expect.stringContaining('metadata') },
    ]);
  });
});
