import { describe, expect, it } from 'vitest';
import { bytesToIp, canonicalIp, compareIp, IpAddressError, ipFamily, ipToBytes } from '../../../src/speaker/net/ipAddress.js';

describe('ipAddress', () => {
  it('converts IPv4 both ways', () => {
    expect([...ipToBytes('10.9.0.255')]).toEqual([10, 9, 0, 255]);
    expect(bytesToIp(Uint8Array.from([192, 168, 1, 7]))).toBe('192.168.1.7');
  });

  it.each([
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::1', 'fe80::1'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['ff02::12', 'ff02::12'],
    ['::ffff:10.1.2.3', '::ffff:a01:203'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
  ])('canonicalises %s as %s', (input, canonical) => {
    expect(canonicalIp(input)).toBe(canonical);
  });

  it('places IPv6 groups at the right offsets', () => {
    expect(ipToBytes('2001:db8::ff00:42:8329').toString('hex')).toBe('20010db8000000000000ff0000428329');
  });

  it('orders addresses as unsigned numbers', () => {
    expect(compareIp('10.0.0.2', '10.0.0.10')).toBeLessThan(0);
    expect(compareIp('200.0.0.1', '10.0.0.1')).toBeGreaterThan(0);
    expect(compareIp('fe80::2', 'fe80::2')).toBe(0);
  });

  it('refuses what is not an address', () => {
    expect(() => ipToBytes('10.0.0.256')).toThrow(IpAddressError);
    expect(() => ipFamily('eth0')).toThrow(IpAddressError);
    expect(() => bytesToIp(Uint8Array.from([1, 2, 3]))).toThrow(IpAddressError);
  });
});
