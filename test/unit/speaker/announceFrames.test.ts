import { describe, expect, it } from 'vitest';
import { announceOffsets, formatMac, gratuitousArpFrame, parseMac, unsolicitedNeighborAdvert } from '../../../src/speaker/vip/announceFrames.js';

const mac = parseMac('02:00:5e:10:00:01');

describe('announcement frames', () => {
  it('builds a request-form gratuitous ARP (RFC 5227), padded to the Ethernet minimum', () => {
    const frame = gratuitousArpFrame(mac, '10.9.0.100');
    expect(frame.length).toBe(60);
    expect(frame.subarray(0, 42).toString('hex')).toBe(
      'ffffffffffff' + '02005e100001' + '0806' + '0001' + '0800' + '06' + '04' + '0001' + '02005e100001' + '0a090064' + '000000000000' + '0a090064',
    );
    expect(frame.subarray(42).every((b) => b === 0)).toBe(true);
  });

  it('builds an unsolicited NA: override set, solicited and router clear, target MAC option', () => {
    const message = unsolicitedNeighborAdvert(mac, '2001:db8::100');
    expect(message.toString('hex')).toBe('88' + '00' + '0000' + '20000000' + '20010db8000000000000000000000100' + '02' + '01' + '02005e100001');
  });

  it('refuses the wrong address family', () => {
    expect(() => gratuitousArpFrame(mac, '2001:db8::1')).toThrow(/IPv4/);
    expect(() => unsolicitedNeighborAdvert(mac, '10.0.0.1')).toThrow(/IPv6/);
  });

  it('parses and formats MAC addresses', () => {
    expect(formatMac(mac)).toBe('02:00:5e:10:00:01');
    expect(() => parseMac('02:00:5e:10:00')).toThrow(/MAC/);
  });

  it('schedules a burst and, optionally, a second one', () => {
    expect(announceOffsets({ count: 3, intervalMs: 10, repeatAfterMs: 0 })).toEqual([0, 10, 20]);
    expect(announceOffsets({ count: 2, intervalMs: 5, repeatAfterMs: 5000 })).toEqual([0, 5, 5000, 5005]);
  });
});
