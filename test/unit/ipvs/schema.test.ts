import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { parseDesiredTable, parseOwnedSet } from '../../../src/ipvs/schema.js';

describe('parseDesiredTable', () => {
  it('fills defaults: no flags, no persistence, /32 or /128, DR with weight 1', () => {
    const [entry] = parseDesiredTable([
      { service: { protocol: 'tcp', address: '10.0.0.1', port: 80, scheduler: 'rr' }, destinations: [{ address: '10.1.0.1', port: 80 }] },
    ]);
    expect(entry).toEqual({
      service: {
        protocol: 'tcp',
        address: '10.0.0.1',
        port: 80,
        scheduler: 'rr',
        schedulerFlags: { flag1: false, flag2: false, flag3: false },
        persistent: false,
        persistenceTimeout: 0,
        netmask: 32,
        onePacket: false,
      },
      destinations: [{ address: '10.1.0.1', port: 80, forwarding: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0 }],
    });
    const [v6] = parseDesiredTable([{ service: { protocol: 'fwmark', family: 'inet6', fwmark: 3, scheduler: 'mh' } }]);
    expect(v6?.service.netmask).toBe(128);
    expect(v6?.destinations).toEqual([]);
  });

  it('makes addresses canonical so they compare equal to dumped ones', () => {
    const [entry] = parseDesiredTable([
      { service: { protocol: 'udp', address: '2001:DB8:0:0::0:1', port: 53, scheduler: 'rr' }, destinations: [{ address: '2001:db8:0000::0002', port: 53 }] },
    ]);
    expect(entry?.service).toMatchObject({ address: '2001:db8::1' });
    expect(entry?.destinations[0]?.address).toBe('2001:db8::2');
  });

  it.each([
    ['a bad address', [{ service: { protocol: 'tcp', address: '10.0.0.300', port: 80, scheduler: 'rr' } }], 'not an IP address'],
    ['a port out of range', [{ service: { protocol: 'tcp', address: '10.0.0.1', port: 70000, scheduler: 'rr' } }], 'port'],
    ['an unknown protocol', [{ service: { protocol: 'icmp', address: '10.0.0.1', port: 0, scheduler: 'rr' } }], 'protocol'],
    ['a scheduler name with a dash', [{ service: { protocol: 'tcp', address: '10.0.0.1', port: 80, scheduler: 'ip_vs-rr' } }], 'scheduler module name'],
    ['an IPv4 /33', [{ service: { protocol: 'tcp', address: '10.0.0.1', port: 80, scheduler: 'rr', netmask: 33 } }], 'netmask /33 does not fit inet'],
    ['an IPv6 /0', [{ service: { protocol: 'tcp', address: 'fd00::1', port: 80, scheduler: 'rr', netmask: 0 } }], 'netmask /0 does not fit inet6'],
    ['fwmark 0', [{ service: { protocol: 'fwmark', family: 'inet', fwmark: 0, scheduler: 'rr' } }], 'fwmark'],
    ['a weight above 65535', [{ service: { protocol: 'tcp', address: '10.0.0.1', port: 80, scheduler: 'rr' }, destinations: [{ address: '10.1.0.1', port: 80, weight: 65536 }] }], 'weight'],
    ['tunnel forwarding without a tunnel', [{ service: { protocol: 'tcp', address: '10.0.0.1', port: 80, scheduler: 'rr' }, destinations: [{ address: '10.1.0.1', port: 80, forwarding: 'tunnel' }] }], 'tunnel settings'],
    ['a tunnel with DR', [{ service: { protocol: 'tcp', address: '10.0.0.1', port: 80, scheduler: 'rr' }, destinations: [{ address: '10.1.0.1', port: 80, tunnel: { type: 'ipip' } }] }], 'tunnel settings'],
    ['GUE without a port', [{ service: { protocol: 'tcp', address: '10.0.0.1', port: 80, scheduler: 'rr' }, destinations: [{ address: '10.1.0.1', port: 80, forwarding: 'tunnel', tunnel: { type: 'gue' } }] }], 'GUE tunnel needs a non-zero port'],
    ['a destination twice', [{ service: { protocol: 'tcp', address: '10.0.0.1', port: 80, scheduler: 'rr' }, destinations: [{ address: '10.1.0.1', port: 80 }, { address: '10.1.0.1', port: 80, weight: 2 }] }], 'a destination is listed twice'],
    ['a service twice (in two spellings)', [{ service: { protocol: 'tcp', address: 'fd00::1', port: 80, scheduler: 'rr' } }, { service: { protocol: 'tcp', address: 'fd00:0::1', port: 80, scheduler: 'wrr' } }], 'a service is listed twice'],
  ])('refuses %s', (_case, input, message) => {
    expect(() => parseDesiredTable(input)).toThrow(ZodError);
    expect(() => parseDesiredTable(input)).toThrow(message);
  });
});

describe('parseOwnedSet', () => {
  it('builds sets of canonical addresses and marks', () => {
    const owned = parseOwnedSet({ addresses: ['10.0.0.1', 'FD00::0:1'], fwmarks: [7] });
    expect([...owned.addresses]).toEqual(['10.0.0.1', 'fd00::1']);
    expect([...owned.fwmarks]).toEqual([7]);
    expect(() => parseOwnedSet({ addresses: ['nope'] })).toThrow(ZodError);
  });
});
