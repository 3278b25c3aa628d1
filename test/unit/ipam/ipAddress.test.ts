import { describe, expect, it } from 'vitest';
import { formatRange, parseAddressBlock, subtractRanges, type AddressRange } from '../../../src/controllers/ipam/addressBlock.js';
import { canonicalIp, formatIp, parseIp } from '../../../src/controllers/ipam/ipAddress.js';

describe('IP addresses', () => {
  it.each([
    ['192.0.2.1', 'IPv4', 0xc0000201n],
    ['2001:db8::1', 'IPv6', 0x20010db8000000000000000000000001n],
    ['::', 'IPv6', 0n],
    ['::ffff:192.0.2.1', 'IPv6', 0xffffc0000201n],
  ])('parses %s', (text, family, value) => {
    expect(parseIp(text)).toEqual({ family, value });
  });

  it.each(['10.0.0.256', '1.2.3', 'fe80::1%eth0', 'example', '', '2001:db8:::1'])('refuses %s', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });

  it.each([
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['fd00::', 'fd00::'],
    ['010.0.0.1', undefined],
  ])('canonicalises %s as %s', (text, canonical) => {
    expect(canonicalIp(text)).toBe(canonical);
  });

  it('round-trips every IPv6 zero-run position', () => {
    for (let i = 0; i < 8; i++) {
      const groups = Array.from({ length: 8 }, (_, j) => (j === i || j === i + 1 ? '0' : (j + 1).toString(16)));
      const text = groups.join(':');
      const { value } = parseIp(text)!;
      expect(parseIp(formatIp('IPv6', value))!.value).toBe(value);
    }
  });
});

describe('address blocks', () => {
  it.each([
    ['192.0.2.0/24', '192.0.2.0-192.0.2.255'],
    ['192.0.2.10-192.0.2.20', '192.0.2.10-192.0.2.20'],
    [' 192.0.2.7 ', '192.0.2.7'],
    ['2001:db8::/126', '2001:db8::-2001:db8::3'],
    ['0.0.0.0/0', '0.0.0.0-255.255.255.255'],
  ])('reads %s as %s', (text, range) => {
    const parsed = parseAddressBlock(text);
    expect(parsed.ok && formatRange(parsed.value)).toBe(range);
  });

  it.each([
    ['192.0.2.5/24', /host bits are set \(did you mean 192\.0\.2\.0\/24\?\)/],
    ['192.0.2.0/33', /prefix length must be 0-32/],
    ['2001:db8::/129', /prefix length must be 0-128/],
    ['192.0.2.20-192.0.2.10', /first address is after the last/],
    ['192.0.2.1-2001:db8::1', /cannot mix IPv4 and IPv6/],
    ['192.0.2.1-192.0.2.2-192.0.2.3', /FIRST-LAST/],
    ['banana', /not a CIDR, a range or an IP address/],
    ['300.0.0.0/8', /'300.0.0.0' is not an IP address/],
  ])('refuses %s', (text, error) => {
    const parsed = parseAddressBlock(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toMatch(error);
  });

  it('subtracts holes, leaving sorted pieces', () => {
    const r = (t: string) => (parseAddressBlock(t) as { ok: true; value: AddressRange }).value;
    const pieces = subtractRanges([r('10.0.0.0/29'), r('2001:db8::/127')], [r('10.0.0.3'), r('10.0.0.6-10.0.0.9'), r('2001:db8::')]);
    expect(pieces.map(formatRange)).toEqual(['10.0.0.0-10.0.0.2', '10.0.0.4-10.0.0.5', '2001:db8::1']);
  });
});
