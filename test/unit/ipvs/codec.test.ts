import { describe, expect, it } from 'vitest';
import { AttributeSet, AttributeWriter } from '../../../src/ipvs/attributes.js';
import {
  decodeDaemon,
  decodeDestination,
  decodeInfo,
  decodeService,
  decodeTimeouts,
  describeDestination,
  describeService,
  encodeDaemon,
  encodeDaemonRole,
  encodeDestination,
  encodeDestinationKey,
  encodeService,
  encodeServiceKey,
  encodeTimeouts,
  maskToPrefix,
  prefixToMask,
} from '../../../src/ipvs/codec.js';
import { IpvsDecodeError, IpvsEncodeError } from '../../../src/ipvs/errors.js';
import type { DestinationConfig, Family, ServiceConfig, ServiceKey } from '../../../src/ipvs/types.js';
import { beMask, hostU32, inet16, inet6, kernelDestinationMessage, kernelServiceMessage, writeStats } from './kernelReplies.js';
import { ipvsStats } from '../../support/ipvsFixtures.js';

const noFlags = { flag1: false, flag2: false, flag3: false };
const tcpService: ServiceConfig = {
  protocol: 'tcp',
  address: '10.0.0.1',
  port: 80,
  scheduler: 'rr',
  schedulerFlags: noFlags,
  persistent: false,
  persistenceTimeout: 0,
  netmask: 32,
  onePacket: false,
};
const drDestination: DestinationConfig = { address: '10.1.0.2', port: 80, forwarding: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0 };

/** The attributes inside the top-level nested attribute `type` of an encoded message. */
const inner = (buffer: Buffer, type: number): AttributeSet => AttributeSet.parse(buffer, 'test').nested(type, 'nested');

/** Appends the stats the kernel always sends, so an encoded request decodes like a reply. */
function asReply(encoded: Buffer, nestedType: number): Buffer {
  const attrs = AttributeSet.parse(encoded, 'test').raw(nestedType) as Buffer;
  const stats = new AttributeWriter();
  if (nestedType === 2) stats.u32(7, 0).u32(8, 0).u32(9, 0); // a destination's connection counts
  writeStats(stats, 10, 12, { values: Array(10).fill(0n) });
  return new AttributeWriter().bytes(nestedType, Buffer.concat([attrs, stats.toBuffer()])).toBuffer();
}

const zeroStats = ipvsStats();

describe('encodeService', () => {
  it('produces the exact bytes of an IPv4 TCP service: ports and IPv4 netmask big-endian, the rest host-endian', () => {
    const expected = [
      '48000100', // nested SERVICE, 72 bytes
      '06000100 0200 0000', // AF = AF_INET
      '06000200 0600 0000', // PROTOCOL = TCP
      '08000300 0a000001', // ADDR, 4 bytes
      '06000400 0050 0000', // PORT 80, big-endian
      '07000600 727200 00', // SCHED_NAME "rr\0"
      '0c000700 00000000 ffffffff', // FLAGS {flags 0, mask all}
      '08000800 00000000', // TIMEOUT 0
      '08000900 ffffffff', // NETMASK /32, big-endian
    ]
      .join('')
      .replace(/ /g, '');
    expect(encodeService(tcpService).toString('hex')).toBe(expected);
  });

  it('sends an IPv6 service with a 16-byte address, AF 10 and the netmask as a host-endian prefix length', () => {
    const attrs = inner(encodeService({ ...tcpService, address: '2001:db8::1', netmask: 64 }), 1);
    expect(attrs.u16(1, 'AF')).toBe(10);
    expect(attrs.bytes(3, 'ADDR').toString('hex')).toBe('20010db8000000000000000000000001');
    expect(attrs.bytes(9, 'NETMASK').toString('hex')).toBe('40000000');
  });

  it('identifies a fwmark service by AF and FWMARK only', () => {
    const attrs = inner(encodeService({ ...tcpService, protocol: 'fwmark', family: 'inet6', fwmark: 0x10203, netmask: 128 } as ServiceConfig), 1);
    expect(attrs.u16(1, 'AF')).toBe(10);
    expect(attrs.u32(5, 'FWMARK')).toBe(0x10203);
    expect(attrs.has(2) || attrs.has(3) || attrs.has(4)).toBe(false);
  });

  it.each([
    ['udp', 17],
    ['sctp', 132],
    ['tcp', 6],
  ] as const)('sends protocol %s as %i', (protocol, number) => {
    expect(inner(encodeService({ ...tcpService, protocol }), 1).u16(2, 'PROTOCOL')).toBe(number);
  });

  it('packs persistence, one-packet and the three scheduler flags into FLAGS with a full mask', () => {
    const flags = inner(
      encodeService({ ...tcpService, scheduler: 'mh', persistent: true, persistenceTimeout: 360, onePacket: true, schedulerFlags: { flag1: true, flag2: true, flag3: true } }),
      1,
    ).bytes(7, 'FLAGS');
    expect(flags.readUInt32LE(0)).toBe(0x1 | 0x4 | 0x8 | 0x10 | 0x20);
    expect(flags.readUInt32LE(4)).toBe(0xffffffff);
  });

  it('never sends the kernel-owned HASHED flag', () => {
    const flags = inner(encodeService({ ...tcpService, persistent: true, onePacket: true, schedulerFlags: { flag1: true, flag2: true, flag3: true } }), 1).bytes(7, 'FLAGS');
    expect(flags.readUInt32LE(0) & 0x2).toBe(0);
  });

  it('sends the persistence timeout and engine', () => {
    const attrs = inner(encodeService({ ...tcpService, persistent: true, persistenceTimeout: 3600, persistenceEngine: 'sip', protocol: 'udp' }), 1);
    expect(attrs.u32(8, 'TIMEOUT')).toBe(3600);
    expect(attrs.string(11, 'PE_NAME')).toBe('sip');
  });

  it.each([
    [{ port: 65536 }, 'service port must be an integer in 0..65535'],
    [{ port: 1.5 }, 'service port must be an integer'],
    [{ scheduler: '' }, 'scheduler name must be 1..15 bytes'],
    [{ scheduler: 'a-very-long-name' }, 'scheduler name must be 1..15 bytes'],
    [{ netmask: 33 }, 'IPv4 netmask prefix must be an integer in 0..32'],
    [{ address: '2001:db8::1', netmask: 0 }, 'IPv6 netmask prefix must be an integer in 1..128'],
    [{ persistenceTimeout: -1 }, 'persistence timeout must be an integer'],
    [{ address: '10.0.0.256' }, "not an IP address: '10.0.0.256'"],
  ])('refuses %j', (change, message) => {
    expect(() => encodeService({ ...tcpService, ...change } as ServiceConfig)).toThrow(IpvsEncodeError);
    expect(() => encodeService({ ...tcpService, ...change } as ServiceConfig)).toThrow(message);
  });

  it('refuses fwmark 0, which the kernel would read as "no mark"', () => {
    expect(() => encodeServiceKey({ protocol: 'fwmark', family: 'inet', fwmark: 0 })).toThrow('fwmark must be an integer in 1..4294967295');
  });
});

describe('IPv4 netmask', () => {
  it('maps every prefix length to its big-endian mask and back', () => {
    for (let prefix = 0; prefix <= 32; prefix++) expect(maskToPrefix(prefixToMask(prefix), tcpService)).toBe(prefix);
    expect(prefixToMask(24)).toBe(0xffffff00);
    expect(prefixToMask(0)).toBe(0);
    expect(prefixToMask(32)).toBe(0xffffffff);
  });

  it('refuses a non-contiguous mask, which has no prefix form', () => {
    expect(() => maskToPrefix(0xff00ff00, tcpService)).toThrow('tcp 10.0.0.1:80: IPv4 netmask 0xff00ff00 is not contiguous');
  });
});

describe('encodeServiceKey and encodeDestinationKey', () => {
  it('carry only the identity', () => {
    const service = inner(encodeServiceKey(tcpService), 1);
    expect(service.types().sort()).toEqual([1, 2, 3, 4]);
    const message = AttributeSet.parse(encodeDestinationKey(tcpService, drDestination), 'test');
    expect(message.nested(2, 'DEST').types().sort((a, b) => a - b)).toEqual([1, 2, 11]);
    expect(message.nested(1, 'SERVICE').types().sort()).toEqual([1, 2, 3, 4]);
  });
});

describe('encodeDestination', () => {
  it('sends address, big-endian port, family, forwarding, weight and thresholds, and no tunnel attributes for DR', () => {
    const dest = inner(encodeDestination(tcpService, { ...drDestination, port: 8080, weight: 7, upperThreshold: 100, lowerThreshold: 10 }), 2);
    expect(dest.bytes(1, 'ADDR').toString('hex')).toBe('0a010002');
    expect(dest.bytes(2, 'PORT').toString('hex')).toBe('1f90');
    expect(dest.u16(11, 'ADDR_FAMILY')).toBe(2);
    expect(dest.u32(3, 'FWD')).toBe(3);
    expect(dest.u32(4, 'WEIGHT')).toBe(7);
    expect(dest.u32(5, 'U')).toBe(100);
    expect(dest.u32(6, 'L')).toBe(10);
    expect(dest.has(13) || dest.has(14) || dest.has(15)).toBe(false);
  });

  it.each([
    ['nat', 0],
    ['local', 1],
    ['tunnel', 2],
    ['dr', 3],
    ['bypass', 4],
  ] as const)('sends forwarding %s as %i', (forwarding, number) => {
    const tunnel = forwarding === 'tunnel' ? { tunnel: { type: 'ipip' as const, port: 0, checksum: false, remoteChecksum: false } } : {};
    expect(inner(encodeDestination(tcpService, { ...drDestination, forwarding, ...tunnel }), 2).u32(3, 'FWD')).toBe(number);
  });

  it('sends GUE tunnel type, big-endian tunnel port and host-endian checksum flags', () => {
    const dest = inner(
      encodeDestination(tcpService, { ...drDestination, forwarding: 'tunnel', tunnel: { type: 'gue', port: 6080, checksum: true, remoteChecksum: false } }),
      2,
    );
    expect(dest.u8(13, 'TUN_TYPE')).toBe(1);
    expect(dest.bytes(14, 'TUN_PORT').toString('hex')).toBe('17c0');
    expect(dest.bytes(15, 'TUN_FLAGS').toString('hex')).toBe('0100');
  });

  it('sends GRE with remote checksum offload', () => {
    const dest = inner(encodeDestination(tcpService, { ...drDestination, forwarding: 'tunnel', tunnel: { type: 'gre', port: 0, checksum: false, remoteChecksum: true } }), 2);
    expect(dest.u8(13, 'TUN_TYPE')).toBe(2);
    expect(dest.u16(15, 'TUN_FLAGS')).toBe(2);
  });

  it('sends an IPv6 real server of an IPv4 service with its own family (mixed-family TUN)', () => {
    const dest = inner(
      encodeDestination(tcpService, { ...drDestination, address: '2001:db8::5', forwarding: 'tunnel', tunnel: { type: 'ipip', port: 0, checksum: false, remoteChecksum: false } }),
      2,
    );
    expect(dest.u16(11, 'ADDR_FAMILY')).toBe(10);
    expect(dest.bytes(1, 'ADDR').length).toBe(16);
  });

  it('refuses tunnel settings without tunnel forwarding and tunnel forwarding without settings', () => {
    expect(() => encodeDestination(tcpService, { ...drDestination, tunnel: { type: 'ipip', port: 0, checksum: false, remoteChecksum: false } })).toThrow(
      'tcp 10.0.0.1:80 -> 10.1.0.2:80: tunnel settings are required with, and only with, tunnel forwarding',
    );
    expect(() => encodeDestination(tcpService, { ...drDestination, forwarding: 'tunnel' })).toThrow(IpvsEncodeError);
  });

  it.each([
    [{ weight: -1 }, 'weight must be an integer in 0..2147483647'],
    [{ port: -1 }, 'destination port must be an integer in 0..65535'],
    [{ upperThreshold: 2 ** 32 }, 'upper threshold must be an integer'],
  ])('refuses %j', (change, message) => {
    expect(() => encodeDestination(tcpService, { ...drDestination, ...change })).toThrow(message);
  });
});

describe('decodeService', () => {
  it('decodes a kernel IPv4 reply: 16-byte address, big-endian port and mask, HASHED dropped, STATS64 preferred', () => {
    const service = decodeService(
      kernelServiceMessage({
        af: 2,
        protocol: 6,
        address: inet16(192, 0, 2, 10),
        port: 443,
        scheduler: 'mh',
        flags: 0x2 | 0x1 | 0x8 | 0x10,
        timeout: 300,
        netmask: beMask(0xffffff00),
        stats: { values: [2n ** 40n, 2n, 3n, 2n ** 33n, 5n, 6n, 7n, 8n, 9n, 10n] },
      }),
    );
    expect(service).toEqual({
      protocol: 'tcp',
      address: '192.0.2.10',
      port: 443,
      scheduler: 'mh',
      schedulerFlags: { flag1: true, flag2: true, flag3: false },
      persistent: true,
      persistenceTimeout: 300,
      netmask: 24,
      onePacket: false,
      stats: {
        connections: 2n ** 40n,
        packetsIn: 2n,
        packetsOut: 3n,
        bytesIn: 2n ** 33n,
        bytesOut: 5n,
        connectionsPerSecond: 6n,
        packetsInPerSecond: 7n,
        packetsOutPerSecond: 8n,
        bytesInPerSecond: 9n,
        bytesOutPerSecond: 10n,
      },
    });
  });

  it('leaves the stats out when asked to', () => {
    const service = decodeService(kernelServiceMessage({ af: 2, protocol: 6, address: inet16(10, 0, 0, 1), port: 80, scheduler: 'rr' }), false);
    expect(service).toEqual({ ...tcpService, stats: undefined });
    expect('stats' in service).toBe(false);
    const destination = decodeDestination(kernelDestinationMessage({ address: inet16(10, 1, 0, 2), port: 80, fwd: 3, af: 2 }), 'inet', false);
    expect('stats' in destination).toBe(false);
    expect(destination).toMatchObject({ address: '10.1.0.2', activeConnections: 0 });
  });

  it('skips PAD attributes inside the stats', () => {
    const service = decodeService(
      kernelServiceMessage({ af: 2, protocol: 17, address: inet16(10, 0, 0, 1), port: 53, scheduler: 'rr', stats: { pad: true, values: [9n, 8n, 7n, 6n, 5n, 4n, 3n, 2n, 1n, 0n] } }),
    );
    expect(service.stats.connections).toBe(9n);
    expect(service.stats.bytesOutPerSecond).toBe(0n);
  });

  it('reads STATS64 whose counters come in another order', () => {
    const reversed = new AttributeWriter()
      .nested(1, (w) => {
        w.u16(1, 2).u16(2, 6).bytes(3, inet16(10, 0, 0, 1)).u16be(4, 80).string(6, 'rr').bytes(7, Buffer.alloc(8)).u32(8, 0).bytes(9, beMask(0xffffffff));
        w.nested(12, (inner) => {
          for (let type = 10; type >= 1; type--) inner.u64(type, BigInt(type * 100));
        });
      })
      .toBuffer();
    const stats = decodeService(reversed).stats;
    expect([stats.connections, stats.bytesIn, stats.bytesOutPerSecond]).toEqual([100n, 400n, 1000n]);
  });

  it('falls back to the legacy STATS (u32 counters, u64 bytes) on kernels without STATS64', () => {
    const service = decodeService(
      kernelServiceMessage({ af: 2, protocol: 6, address: inet16(10, 0, 0, 1), port: 80, scheduler: 'rr', stats: { wide: false, pad: true, values: [1n, 2n, 3n, 2n ** 35n, 5n, 6n, 7n, 8n, 9n, 10n] } }),
    );
    expect(service.stats.connections).toBe(1n);
    expect(service.stats.bytesIn).toBe(2n ** 35n);
  });

  it('decodes an IPv6 service with its host-order prefix netmask', () => {
    const service = decodeService(
      kernelServiceMessage({ af: 10, protocol: 132, address: inet6('2001:0db8:0000:0000:0000:0000:0000:00ff'), port: 9000, scheduler: 'wlc', netmask: hostU32(48) }),
    );
    expect(service).toMatchObject({ protocol: 'sctp', address: '2001:db8::ff', port: 9000, netmask: 48 });
  });

  it('decodes a fwmark service, a persistence engine and one-packet scheduling', () => {
    const service = decodeService(kernelServiceMessage({ af: 2, fwmark: 77, scheduler: 'sh', pe: 'sip', flags: 0x2 | 0x4 | 0x20, netmask: beMask(0xffffffff) }));
    expect(service).toMatchObject({ protocol: 'fwmark', family: 'inet', fwmark: 77, persistenceEngine: 'sip', onePacket: true, schedulerFlags: { flag1: false, flag2: false, flag3: true } });
    expect('address' in service).toBe(false);
  });

  it.each([
    ['an unknown address family', { af: 7, protocol: 6, address: inet16(1, 2, 3, 4), port: 1, scheduler: 'rr' }, 'service: unknown address family 7'],
    ['an unknown protocol', { af: 2, protocol: 47, address: inet16(1, 2, 3, 4), port: 1, scheduler: 'rr' }, 'service: unknown protocol 47'],
    ['no scheduler', { af: 2, protocol: 6, address: inet16(1, 2, 3, 4), port: 1 }, 'service: attribute SCHED_NAME is missing'],
    ['a short IPv6 address', { af: 10, protocol: 6, address: inet16(1, 2, 3, 4).subarray(0, 8), port: 1, scheduler: 'rr', netmask: hostU32(128) }, 'an inet6 address needs 16 bytes, got 8'],
    ['a non-contiguous mask', { af: 2, protocol: 6, address: inet16(1, 2, 3, 4), port: 1, scheduler: 'rr', netmask: beMask(0xff00ff00) }, 'is not contiguous'],
    ['no stats at all', { af: 2, protocol: 6, address: inet16(1, 2, 3, 4), port: 1, scheduler: 'rr', stats: { wide: false, narrow: false } }, 'neither STATS64 nor STATS is present'],
  ])('rejects a reply with %s', (_case, kernel, message) => {
    expect(() => decodeService(kernelServiceMessage(kernel))).toThrow(IpvsDecodeError);
    expect(() => decodeService(kernelServiceMessage(kernel))).toThrow(message);
  });

  it('rejects a one-byte PORT and a short FLAGS', () => {
    const shortPort = new AttributeWriter().nested(1, (w) => w.u16(1, 2).u16(2, 6).bytes(3, inet16(1, 2, 3, 4)).u8(4, 80)).toBuffer();
    expect(() => decodeService(shortPort)).toThrow('service attribute PORT: expected 2 bytes, got 1');
    const shortFlags = new AttributeWriter()
      .nested(1, (w) => w.u16(1, 2).u16(2, 6).bytes(3, inet16(1, 2, 3, 4)).u16be(4, 80).string(6, 'rr').bytes(7, Buffer.alloc(4)))
      .toBuffer();
    expect(() => decodeService(shortFlags)).toThrow('tcp 1.2.3.4:80 attribute FLAGS: expected 8 bytes, got 4');
  });

  it('rejects a message truncated inside the service', () => {
    const whole = kernelServiceMessage({ af: 2, protocol: 6, address: inet16(1, 2, 3, 4), port: 80, scheduler: 'rr' });
    const truncated = Buffer.from(whole.subarray(0, 40));
    expect(() => decodeService(truncated)).toThrow(IpvsDecodeError);
    expect(() => decodeService(Buffer.alloc(0))).toThrow('service message: attribute SERVICE is missing');
  });
});

describe('decodeDestination', () => {
  it('decodes a DR real server with its counters', () => {
    const destination = decodeDestination(
      kernelDestinationMessage({ address: inet16(10, 1, 0, 2), port: 80, fwd: 3, weight: 5, uThresh: 50, lThresh: 5, active: 3, inactive: 4, persist: 1, af: 2, tunType: 0, tunPort: 0, tunFlags: 0 }),
      'inet',
    );
    expect(destination).toEqual({
      address: '10.1.0.2',
      port: 80,
      forwarding: 'dr',
      weight: 5,
      upperThreshold: 50,
      lowerThreshold: 5,
      activeConnections: 3,
      inactiveConnections: 4,
      persistentConnections: 1,
      stats: { connections: 1n, packetsIn: 2n, packetsOut: 3n, bytesIn: 4n, bytesOut: 5n, connectionsPerSecond: 6n, packetsInPerSecond: 7n, packetsOutPerSecond: 8n, bytesInPerSecond: 9n, bytesOutPerSecond: 10n },
    });
  });

  it('uses the service family when ADDR_FAMILY is absent (kernels before 3.18)', () => {
    expect(decodeDestination(kernelDestinationMessage({ address: inet6('fd00 0000 0000 0000 0000 0000 0001 0002'), port: 53, fwd: 0 }), 'inet6').address).toBe('fd00::1:2');
    expect(decodeDestination(kernelDestinationMessage({ address: inet16(10, 0, 0, 9), port: 53, fwd: 0 }), 'inet').address).toBe('10.0.0.9');
  });

  it('decodes an IPv6 real server of an IPv4 service by its ADDR_FAMILY', () => {
    const destination = decodeDestination(kernelDestinationMessage({ address: inet6('2001 0db8 0000 0000 0000 0000 0000 0007'), port: 80, fwd: 2, af: 10, tunType: 0, tunPort: 0, tunFlags: 0 }), 'inet');
    expect(destination).toMatchObject({ address: '2001:db8::7', forwarding: 'tunnel', tunnel: { type: 'ipip', port: 0, checksum: false, remoteChecksum: false } });
  });

  it('decodes GUE with its big-endian port and both checksum flags', () => {
    const destination = decodeDestination(kernelDestinationMessage({ address: inet16(10, 1, 0, 3), port: 80, fwd: 2, af: 2, tunType: 1, tunPort: 6080, tunFlags: 3 }), 'inet');
    expect(destination.tunnel).toEqual({ type: 'gue', port: 6080, checksum: true, remoteChecksum: true });
  });

  it('treats a tunnel without TUN_* attributes (kernels before 5.2) as IPIP', () => {
    expect(decodeDestination(kernelDestinationMessage({ address: inet16(10, 1, 0, 3), port: 80, fwd: 2 }), 'inet').tunnel).toEqual({
      type: 'ipip',
      port: 0,
      checksum: false,
      remoteChecksum: false,
    });
  });

  it('keeps only the forwarding bits of FWD_METHOD, and drops tunnel attributes of non-tunnel servers', () => {
    const destination = decodeDestination(kernelDestinationMessage({ address: inet16(10, 1, 0, 3), port: 80, fwd: 0x100 | 3, af: 2, tunType: 1, tunPort: 9 }), 'inet');
    expect(destination.forwarding).toBe('dr');
    expect(destination.tunnel).toBeUndefined();
  });

  it.each([
    ['an unknown forwarding method', { address: inet16(1, 1, 1, 1), port: 1, fwd: 5 }, 'destination: unknown forwarding method 5'],
    ['an unknown tunnel type', { address: inet16(1, 1, 1, 1), port: 1, fwd: 2, tunType: 9 }, 'destination: unknown tunnel type 9'],
    ['an unknown address family', { address: inet16(1, 1, 1, 1), port: 1, fwd: 3, af: 3 }, 'destination: unknown address family 3'],
  ])('rejects %s', (_case, kernel, message) => {
    expect(() => decodeDestination(kernelDestinationMessage(kernel), 'inet')).toThrow(message);
  });

  it('rejects a missing weight', () => {
    const message = new AttributeWriter().nested(2, (w) => w.bytes(1, inet16(1, 1, 1, 1)).u16be(2, 80).u32(3, 3)).toBuffer();
    expect(() => decodeDestination(message, 'inet')).toThrow('destination: attribute WEIGHT is missing');
  });
});

describe('round trips: what we send decodes to what we meant', () => {
  const families: Array<[Family, string, number[]]> = [
    ['inet', '203.0.113.7', [0, 8, 24, 31, 32]],
    ['inet6', '2001:db8:a::7', [1, 48, 64, 127, 128]],
  ];
  const schedulers: Array<[string, ServiceConfig['schedulerFlags']]> = [
    ['rr', noFlags],
    ['wlc', noFlags],
    ['sh', { flag1: true, flag2: false, flag3: false }],
    ['mh', { flag1: true, flag2: true, flag3: false }],
    ['mh', { flag1: false, flag2: true, flag3: false }],
    ['none', { flag1: false, flag2: false, flag3: true }],
  ];
  for (const [family, address, netmasks] of families) {
    for (const protocol of ['tcp', 'udp', 'sctp', 'fwmark'] as const) {
      for (const [scheduler, schedulerFlags] of schedulers) {
        for (const netmask of netmasks) {
          const key: ServiceKey = protocol === 'fwmark' ? { protocol, family, fwmark: 4000 } : { protocol, address, port: 8443 };
          const config = { ...key, scheduler, schedulerFlags, persistent: netmask % 2 === 0, persistenceTimeout: netmask * 10, netmask, onePacket: protocol === 'udp' } as ServiceConfig;
          it(`${family} ${protocol} ${scheduler} /${netmask}`, () => {
            expect(decodeService(asReply(encodeService(config), 1))).toEqual({ ...config, stats: zeroStats });
          });
        }
      }
    }
  }

  const destinations: DestinationConfig[] = [
    drDestination,
    { address: '10.1.0.3', port: 8080, forwarding: 'nat', weight: 65535, upperThreshold: 1000, lowerThreshold: 900 },
    { address: '10.1.0.4', port: 80, forwarding: 'tunnel', weight: 0, upperThreshold: 0, lowerThreshold: 0, tunnel: { type: 'ipip', port: 0, checksum: false, remoteChecksum: false } },
    { address: '10.1.0.5', port: 80, forwarding: 'tunnel', weight: 2, upperThreshold: 0, lowerThreshold: 0, tunnel: { type: 'gue', port: 5555, checksum: true, remoteChecksum: false } },
    { address: '10.1.0.6', port: 80, forwarding: 'tunnel', weight: 2, upperThreshold: 0, lowerThreshold: 0, tunnel: { type: 'gre', port: 0, checksum: false, remoteChecksum: true } },
    { address: 'fd00::6', port: 443, forwarding: 'dr', weight: 3, upperThreshold: 0, lowerThreshold: 0 },
    { address: '10.1.0.7', port: 80, forwarding: 'local', weight: 1, upperThreshold: 0, lowerThreshold: 0 },
    { address: '10.1.0.8', port: 80, forwarding: 'bypass', weight: 1, upperThreshold: 0, lowerThreshold: 0 },
  ];
  it.each(destinations.map((d) => [describeDestination(tcpService, d), d] as const))('%s', (_name, destination) => {
    const decoded = decodeDestination(asReply(encodeDestination(tcpService, destination), 2), 'inet');
    const { activeConnections, inactiveConnections, persistentConnections, stats, ...config } = decoded;
    expect(config).toEqual(destination);
    expect([activeConnections, inactiveConnections, persistentConnections]).toEqual([0, 0, 0]);
    expect(stats).toEqual(zeroStats);
  });
});

describe('daemon, timeouts, info', () => {
  it('encodes a sync daemon: state, interface, id, and the host-endian multicast port', () => {
    const attrs = inner(encodeDaemon({ role: 'backup', interface: 'eth0', syncId: 9, maxLength: 1400, group: '239.1.2.3', port: 8848, ttl: 2 }), 3);
    expect(attrs.u32(1, 'STATE')).toBe(2);
    expect(attrs.string(2, 'IFN')).toBe('eth0');
    expect(attrs.u32(3, 'SYNC_ID')).toBe(9);
    expect(attrs.u16(4, 'MAXLEN')).toBe(1400);
    expect(attrs.bytes(5, 'GROUP').toString('hex')).toBe('ef010203');
    expect(attrs.bytes(7, 'PORT').toString('hex')).toBe('9022');
    expect(attrs.u8(8, 'TTL')).toBe(2);
  });

  it('sends an IPv6 group as MCAST_GROUP6 and leaves optional fields out', () => {
    const attrs = inner(encodeDaemon({ role: 'master', interface: 'e0', syncId: 0, group: 'ff02::81' }), 3);
    expect(attrs.bytes(6, 'GROUP6').length).toBe(16);
    expect(attrs.has(4) || attrs.has(5) || attrs.has(7) || attrs.has(8)).toBe(false);
    expect(inner(encodeDaemonRole('master'), 3).types()).toEqual([1]);
  });

  it('refuses an interface name longer than IFNAMSIZ-1 and a sync id above 255', () => {
    expect(() => encodeDaemon({ role: 'master', interface: 'a-very-long-ifname', syncId: 1 })).toThrow('sync daemon interface must be 1..15 bytes');
    expect(() => encodeDaemon({ role: 'master', interface: 'eth0', syncId: 256 })).toThrow('sync id must be an integer in 0..255');
  });

  it('decodes a dumped daemon', () => {
    const message = new AttributeWriter()
      .nested(3, (w) => w.u32(1, 1).string(2, 'e0').u32(3, 5).u16(4, 1472).u16(7, 8848).u8(8, 1).bytes(5, Buffer.from([224, 0, 0, 81])))
      .toBuffer();
    expect(decodeDaemon(message)).toEqual({ role: 'master', interface: 'e0', syncId: 5, maxLength: 1472, port: 8848, ttl: 1, group: '224.0.0.81' });
  });

  it('encodes only the timeouts given, and decodes all three', () => {
    const attrs = AttributeSet.parse(encodeTimeouts({ tcp: 7200, udp: 60 }), 'test');
    expect(attrs.types()).toEqual([4, 6]);
    expect(attrs.u32(4, 'TCP')).toBe(7200);
    const reply = new AttributeWriter().u32(4, 900).u32(5, 120).u32(6, 300).toBuffer();
    expect(decodeTimeouts(reply)).toEqual({ tcp: 900, tcpFin: 120, udp: 300 });
    expect(() => decodeTimeouts(new AttributeWriter().u32(4, 900).toBuffer())).toThrow('config message: attribute TIMEOUT_TCP_FIN is missing');
  });

  it('decodes the info reply', () => {
    expect(decodeInfo(new AttributeWriter().u32(1, 0x010201).u32(2, 4096).toBuffer())).toEqual({ version: '1.2.1', versionCode: 0x010201, connectionTableSize: 4096 });
  });
});

describe('names in messages', () => {
  it('describes services and destinations of each kind', () => {
    expect(describeService(tcpService)).toBe('tcp 10.0.0.1:80');
    expect(describeService({ protocol: 'udp', address: '2001:db8::1', port: 53 })).toBe('udp [2001:db8::1]:53');
    expect(describeService({ protocol: 'fwmark', family: 'inet6', fwmark: 3 })).toBe('fwmark 3 (inet6)');
    expect(describeDestination(tcpService, { address: 'fd00::2', port: 80 })).toBe('tcp 10.0.0.1:80 -> [fd00::2]:80');
  });
});
