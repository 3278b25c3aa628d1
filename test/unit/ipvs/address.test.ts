import { isIPv4 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { addressToBytes, bytesToAddress, canonicalAddress, familyOf, parseIPv4 } from '../../../src/ipvs/address.js';
import { IpvsDecodeError, IpvsEncodeError } from '../../../src/ipvs/errors.js';

describe('parseIPv4', () => {
  it.each(['0.0.0.0', '10.0.0.1', '255.255.255.255', '192.168.100.7', '1.2.3.4'])('reads %s like node:net and as its 32-bit value', (text) => {
    expect(isIPv4(text)).toBe(true);
    expect(parseIPv4(text)).toBe(text.split('.').reduce((v, part) => v * 256 + Number(part), 0));
  });

  it.each(['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1..2.3', '1.2.3.', '.1.2.3', 'a.b.c.d', '1.2.3.4 ', '::1', '1.2.3.-4'])('refuses %j, as node:net does', (text) => {
    expect(isIPv4(text)).toBe(false);
    expect(parseIPv4(text)).toBe(-1);
  });
});

describe('addresses', () => {
  it('knows the family, or refuses what is not an address', () => {
    expect(familyOf('10.0.0.1')).toBe('inet');
    expect(familyOf('fd00::1')).toBe('inet6');
    expect(() => familyOf('example.com')).toThrow(IpvsEncodeError);
  });

  it('encodes IPv4 and IPv6 (with :: and an embedded dotted quad) in network order', () => {
    expect(addressToBytes('192.0.2.1').toString('hex')).toBe('c0000201');
    expect(addressToBytes('2001:db8::1').toString('hex')).toBe('20010db8000000000000000000000001');
    expect(addressToBytes('::ffff:192.0.2.1').toString('hex')).toBe('00000000000000000000ffffc0000201');
    expect(addressToBytes('fe80::1%eth0').toString('hex')).toBe('fe800000000000000000000000000001');
    expect(() => addressToBytes('2001:db8::1::2')).toThrow("not an IP address: '2001:db8::1::2'");
  });

  it('decodes from an offset into a larger buffer, canonically', () => {
    const buffer = Buffer.concat([Buffer.from([9, 9]), addressToBytes('2001:DB8:0:0:1:0:0:1')]);
    expect(bytesToAddress(buffer, 2, 16, 'inet6', 'x')).toBe('2001:db8::1:0:0:1');
    expect(bytesToAddress(Buffer.from([9, 10, 0, 0, 7, 0, 0]), 1, 6, 'inet', 'x')).toBe('10.0.0.7');
    expect(() => bytesToAddress(Buffer.alloc(8), 0, 8, 'inet6', 'destination ADDR')).toThrow(IpvsDecodeError);
    expect(() => bytesToAddress(Buffer.alloc(8), 0, 8, 'inet6', 'destination ADDR')).toThrow('destination ADDR: an inet6 address needs 16 bytes, got 8');
  });

  it('makes equal addresses equal strings', () => {
    expect(canonicalAddress('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(canonicalAddress('2001:db8:0:0:1::')).toBe('2001:db8:0:0:1::');
    expect(canonicalAddress('10.0.0.1')).toBe('10.0.0.1');
  });
});
