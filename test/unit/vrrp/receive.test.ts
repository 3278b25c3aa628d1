import { describe, expect, it } from 'vitest';
import { encodeAdvert } from '../../../src/speaker/vrrp/packet.js';
import { checkInbound, parseIpv4Datagram, type InboundVrrp, type ReceiveFilter } from '../../../src/speaker/vrrp/receive.js';
import { VrrpPacketError } from '../../../src/speaker/vrrp/packet.js';

const filter: ReceiveFilter = {
  family: 4,
  instances: new Map([[51, { addresses: ['10.9.0.100'] }]]),
  ownAddresses: new Set(['10.9.0.2']),
};
const envelope = { family: 4 as const, source: '10.9.0.3', destination: '224.0.0.18' };

function inbound(overrides: Partial<InboundVrrp> = {}, advert = { vrid: 51, priority: 100, maxAdvertIntervalCs: 100, addresses: ['10.9.0.100'] }): InboundVrrp {
  return { ...envelope, payload: encodeAdvert(advert, envelope), hopLimit: 255, ...overrides };
}

function ipv4Datagram(payload: Buffer, ttl: number): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt8(0x45, 0);
  header.writeUInt16BE(20 + payload.length, 2);
  header.writeUInt8(ttl, 8);
  header.writeUInt8(112, 9);
  Buffer.from([10, 9, 0, 3, 224, 0, 0, 18]).copy(header, 12);
  return Buffer.concat([header, payload, Buffer.alloc(6)]);
}

describe('VRRP receive checks (RFC 5798 §7.1)', () => {
  it('accepts a valid advertisement for a configured VRID', () => {
    expect(checkInbound(inbound(), filter)).toMatchObject({ accepted: true, source: '10.9.0.3', checksumForm: 'pseudo-header', addressMismatch: false });
  });

  it.each([254, 64, 1])('drops TTL %i', (ttl) => {
    expect(checkInbound(inbound({ hopLimit: ttl }), filter)).toMatchObject({ accepted: false, reason: 'hop-limit' });
  });

  it('drops a bad checksum, another version, an unknown VRID and a foreign family', () => {
    const bad = inbound();
    bad.payload.writeUInt8(bad.payload.readUInt8(6) ^ 0xff, 6);
    expect(checkInbound(bad, filter)).toMatchObject({ accepted: false, reason: 'checksum' });
    const v2 = inbound();
    v2.payload[0] = 0x21;
    expect(checkInbound(v2, filter)).toMatchObject({ accepted: false, reason: 'version' });
    expect(checkInbound(inbound({}, { vrid: 52, priority: 100, maxAdvertIntervalCs: 100, addresses: [] }), filter)).toMatchObject({ accepted: false, reason: 'unknown-vrid' });
    expect(checkInbound(inbound(), { ...filter, family: 6 })).toMatchObject({ accepted: false, reason: 'family' });
  });

  it('drops its own packets and, with unicast peers, strangers', () => {
    expect(checkInbound(inbound(), { ...filter, ownAddresses: new Set(['10.9.0.3']) })).toMatchObject({ accepted: false, reason: 'own-packet' });
    expect(checkInbound(inbound(), { ...filter, allowedSources: new Set(['10.9.0.4']) })).toMatchObject({ accepted: false, reason: 'unknown-source' });
    expect(checkInbound(inbound(), { ...filter, allowedSources: new Set(['10.9.0.3']) })).toMatchObject({ accepted: true });
  });

  it('reports an address list that differs from ours, but still accepts it', () => {
    const other = inbound({}, { vrid: 51, priority: 100, maxAdvertIntervalCs: 100, addresses: ['10.9.0.100', '10.9.0.101'] });
    expect(checkInbound(other, filter)).toMatchObject({ accepted: true, addressMismatch: true });
  });

  it('parses an IPv4 datagram: TTL, addresses, payload without padding', () => {
    const payload = inbound().payload;
    const parsed = parseIpv4Datagram(ipv4Datagram(payload, 254));
    expect(parsed).toEqual({ family: 4, payload, source: '10.9.0.3', destination: '224.0.0.18', hopLimit: 254 });
  });

  it('refuses a malformed IPv4 datagram with a typed error', () => {
    expect(() => parseIpv4Datagram(Buffer.alloc(10))).toThrow(VrrpPacketError);
    const wrongLength = ipv4Datagram(inbound().payload, 255);
    wrongLength.writeUInt16BE(500, 2);
    expect(() => parseIpv4Datagram(wrongLength)).toThrow(VrrpPacketError);
    const udp = ipv4Datagram(inbound().payload, 255);
    udp.writeUInt8(17, 9);
    expect(() => parseIpv4Datagram(udp)).toThrow(/not VRRP/);
  });
});
