import { describe, expect, it } from 'vitest';
import { decodeAdvert, encodeAdvert, VrrpPacketError, type VrrpEnvelope } from '../../../src/speaker/vrrp/packet.js';
import { parseIpv4Datagram } from '../../../src/speaker/vrrp/receive.js';

const v4: VrrpEnvelope = { family: 4, source: '10.9.0.2', destination: '224.0.0.18' };
const v6: VrrpEnvelope = { family: 6, source: 'fe80::1', destination: 'ff02::12' };
const advert4 = { vrid: 51, priority: 100, maxAdvertIntervalCs: 100, addresses: ['10.9.0.100', '10.9.0.101'] };
const advert6 = { vrid: 7, priority: 200, maxAdvertIntervalCs: 10, addresses: ['2001:db8::100'] };
// Checksums computed independently (Python, RFC 1071 over pseudo-header + message).
const advert4PseudoHex = '31336402006' + '46aed' + '0a0900640a090065';
const advert4PlainHex = '313364020064558b0a0900640a090065';
const advert6Hex = '3107c801000ada14' + '20010db8000000000000000000000100';

function errorOf(fn: () => unknown): VrrpPacketError {
  try {
    fn();
  } catch (err) {
    if (err instanceof VrrpPacketError) return err;
    throw err;
  }
  throw new Error('expected a VrrpPacketError');
}

// Captured in the lab (test/lab/guest/vrrp-keepalived.sh): keepalived 2.2.7, VRID 51, priority 200, 2 s, 10.9.0.3 -> 224.0.0.18.
const keepalivedDatagram = '45c00020000d0000ff70d0820a090003e00000123133c80100c810fb0a090064';

describe('VRRPv3 packet codec', () => {
  it("decodes keepalived's advertisement and encodes the same bytes", () => {
    const inbound = parseIpv4Datagram(Buffer.from(keepalivedDatagram, 'hex'));
    expect(inbound).toMatchObject({ source: '10.9.0.3', destination: '224.0.0.18', hopLimit: 255 });
    const decoded = decodeAdvert(inbound.payload, { family: 4, source: inbound.source, destination: inbound.destination });
    expect(decoded).toEqual({ advert: { vrid: 51, priority: 200, maxAdvertIntervalCs: 200, addresses: ['10.9.0.100'] }, checksumForm: 'pseudo-header' });
    expect(encodeAdvert(decoded.advert, { family: 4, source: '10.9.0.3', destination: '224.0.0.18' })).toEqual(inbound.payload);
  });

  it('encodes IPv4 with the pseudo-header checksum by default', () => {
    expect(encodeAdvert(advert4, v4).toString('hex')).toBe(advert4PseudoHex);
  });

  it('encodes the IPv4 plain checksum form on request', () => {
    expect(encodeAdvert(advert4, v4, 'plain').toString('hex')).toBe(advert4PlainHex);
  });

  it('encodes IPv6 with its pseudo-header', () => {
    expect(encodeAdvert(advert6, v6).toString('hex')).toBe(advert6Hex);
  });

  it('decodes what it encodes, and says which checksum form was valid', () => {
    expect(decodeAdvert(Buffer.from(advert4PseudoHex, 'hex'), v4)).toEqual({ advert: advert4, checksumForm: 'pseudo-header' });
    expect(decodeAdvert(Buffer.from(advert4PlainHex, 'hex'), v4)).toEqual({ advert: advert4, checksumForm: 'plain' });
    expect(decodeAdvert(Buffer.from(advert6Hex, 'hex'), v6)).toEqual({ advert: advert6, checksumForm: 'pseudo-header' });
  });

  it('uses the unicast destination in the pseudo-header', () => {
    const unicast = { ...v4, destination: '10.9.0.3' };
    const packet = encodeAdvert(advert4, unicast);
    expect(decodeAdvert(packet, unicast).checksumForm).toBe('pseudo-header');
    expect(errorOf(() => decodeAdvert(packet, v4)).reason).toBe('checksum');
  });

  it('ignores the reserved bits above the 12-bit interval', () => {
    const packet = Buffer.from(advert4PlainHex, 'hex');
    packet.writeUInt16BE(0xf064, 4);
    packet.writeUInt16BE(0, 6);
    let sum = 0;
    for (let i = 0; i < packet.length; i += 2) sum += packet.readUInt16BE(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    packet.writeUInt16BE(~sum & 0xffff, 6);
    expect(decodeAdvert(packet, v4).advert.maxAdvertIntervalCs).toBe(100);
  });

  it('rejects a corrupted checksum in either form', () => {
    const packet = Buffer.from(advert4PseudoHex, 'hex');
    packet[2] = 101;
    expect(errorOf(() => decodeAdvert(packet, v4)).reason).toBe('checksum');
    const six = Buffer.from(advert6Hex, 'hex');
    six[20] = 0xff;
    expect(errorOf(() => decodeAdvert(six, v6)).reason).toBe('checksum');
  });

  it('has no plain form for IPv6', () => {
    const packet = encodeAdvert(advert6, v6);
    packet.writeUInt16BE(0, 6);
    let sum = 0;
    for (let i = 0; i < packet.length; i += 2) sum += packet.readUInt16BE(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    packet.writeUInt16BE(~sum & 0xffff, 6);
    expect(errorOf(() => decodeAdvert(packet, v6)).reason).toBe('checksum');
  });

  it('rejects VRRPv2 and non-advertisement types', () => {
    const v2 = Buffer.from(advert4PseudoHex, 'hex');
    v2[0] = 0x21;
    expect(errorOf(() => decodeAdvert(v2, v4)).reason).toBe('version');
    const type2 = Buffer.from(advert4PseudoHex, 'hex');
    type2[0] = 0x32;
    expect(errorOf(() => decodeAdvert(type2, v4)).reason).toBe('type');
  });

  it('rejects a packet shorter than its address count says', () => {
    expect(errorOf(() => decodeAdvert(Buffer.from(advert4PseudoHex, 'hex').subarray(0, 15), v4)).reason).toBe('truncated');
    expect(errorOf(() => decodeAdvert(Buffer.alloc(7), v4)).reason).toBe('truncated');
  });

  it('decodes zero addresses and 255 addresses', () => {
    const none = { ...advert4, addresses: [] };
    expect(decodeAdvert(encodeAdvert(none, v4), v4).advert).toEqual(none);
    const many = { ...advert4, addresses: Array.from({ length: 255 }, (_, i) => `10.1.${i >> 4}.${i & 15}`) };
    expect(decodeAdvert(encodeAdvert(many, v4), v4).advert.addresses).toEqual(many.addresses);
  });

  it('refuses to encode out-of-range fields or a foreign-family address', () => {
    expect(errorOf(() => encodeAdvert({ ...advert4, vrid: 0 }, v4)).reason).toBe('vrid');
    expect(errorOf(() => encodeAdvert({ ...advert4, vrid: 256 }, v4)).reason).toBe('vrid');
    expect(errorOf(() => encodeAdvert({ ...advert4, maxAdvertIntervalCs: 4096 }, v4)).reason).toBe('interval');
    expect(errorOf(() => encodeAdvert({ ...advert4, maxAdvertIntervalCs: 0 }, v4)).reason).toBe('interval');
    expect(errorOf(() => encodeAdvert({ ...advert4, addresses: ['2001:db8::1'] }, v4)).reason).toBe('address-family');
    expect(errorOf(() => encodeAdvert({ ...advert4, addresses: Array<string>(256).fill('10.0.0.1') }, v4)).reason).toBe('address-count');
  });

  it('survives arbitrary bytes with a typed error or a result', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let i = 0; i < 2000; i++) {
      const packet = Buffer.from(Array.from({ length: random() % 48 }, random));
      if (packet.length > 0) packet[0] = 0x31;
      try {
        decodeAdvert(packet, i % 2 ? v4 : v6);
      } catch (err) {
        expect(err).toBeInstanceOf(VrrpPacketError);
      }
    }
  });
});
