import { describe, expect, it } from 'vitest';
import { desiredAddresses, planAddresses, vrrpSources, type ActualAddress } from '../../../src/speaker/vip/addressPlan.js';

const devices = { nic: 'eth0', dummy: 'tsvs0' };
const actual = (device: string, address: string, prefixLength: number, tagged = false): ActualAddress => ({ device, address, prefixLength, tagged });

describe('desiredAddresses', () => {
  it('puts a master VIP on the NIC, a local one on the dummy device, an absent one nowhere', () => {
    expect(
      desiredAddresses(
        [
          { address: '10.9.0.100', placement: 'master' },
          { address: '2001:DB8::100', placement: 'local' },
          { address: '10.9.0.101', placement: 'absent' },
        ],
        devices,
      ),
    ).toEqual([
      { device: 'eth0', address: '10.9.0.100', prefixLength: 32 },
      { device: 'tsvs0', address: '2001:db8::100', prefixLength: 128 },
    ]);
  });
});

describe('planAddresses', () => {
  const managed = ['10.9.0.100', '10.9.0.101', '2001:db8::100'];

  it('is empty when the kernel already matches', () => {
    const desired = desiredAddresses([{ address: '10.9.0.100', placement: 'master' }], devices);
    expect(planAddresses(desired, [actual('eth0', '10.9.0.100', 32), actual('eth0', '10.9.0.2', 24)], devices, managed)).toEqual({ add: [], remove: [] });
  });

  it('becoming master adds on the NIC and removes from the dummy device', () => {
    const desired = desiredAddresses([{ address: '10.9.0.100', placement: 'master' }], devices);
    expect(planAddresses(desired, [actual('tsvs0', '10.9.0.100', 32)], devices, managed)).toEqual({
      add: [{ device: 'eth0', address: '10.9.0.100', prefixLength: 32 }],
      remove: [{ device: 'tsvs0', address: '10.9.0.100', prefixLength: 32 }],
    });
  });

  it('becoming backup moves the VIP back to the dummy device', () => {
    const desired = desiredAddresses([{ address: '2001:db8::100', placement: 'local' }], devices);
    expect(planAddresses(desired, [actual('eth0', '2001:db8::100', 128)], devices, managed)).toEqual({
      add: [{ device: 'tsvs0', address: '2001:db8::100', prefixLength: 128 }],
      remove: [{ device: 'eth0', address: '2001:db8::100', prefixLength: 128 }],
    });
  });

  it("never touches the NIC's own addresses, even one inside a VIP's subnet", () => {
    const plan = planAddresses([], [actual('eth0', '10.9.0.2', 24), actual('eth0', 'fe80::1', 64), actual('eth0', '10.9.0.77', 32)], devices, managed);
    expect(plan).toEqual({ add: [], remove: [] });
  });

  it("leaves the kernel's link-local address on the dummy device alone", () => {
    expect(planAddresses([], [actual('tsvs0', 'fe80::9c3c:4fff:fe12:4ab5', 64)], devices, managed)).toEqual({ add: [], remove: [] });
  });

  it('removes stale addresses: anything on the dummy device, tagged ones on the NIC', () => {
    const plan = planAddresses([], [actual('tsvs0', '10.1.1.1', 32), actual('eth0', '10.9.0.200', 32, true), actual('eth0', '10.9.0.101', 32)], devices, managed);
    expect(plan.remove).toEqual([
      { device: 'tsvs0', address: '10.1.1.1', prefixLength: 32 },
      { device: 'eth0', address: '10.9.0.200', prefixLength: 32 },
      { device: 'eth0', address: '10.9.0.101', prefixLength: 32 },
    ]);
    expect(plan.add).toEqual([]);
  });

  it('replaces a managed VIP present with the wrong prefix', () => {
    const desired = desiredAddresses([{ address: '10.9.0.100', placement: 'master' }], devices);
    expect(planAddresses(desired, [actual('eth0', '10.9.0.100', 24)], devices, managed)).toEqual({
      add: [{ device: 'eth0', address: '10.9.0.100', prefixLength: 32 }],
      remove: [{ device: 'eth0', address: '10.9.0.100', prefixLength: 24 }],
    });
  });

  it('compares addresses in canonical form', () => {
    const desired = desiredAddresses([{ address: '2001:0db8:0::0100', placement: 'master' }], devices);
    expect(planAddresses(desired, [actual('eth0', '2001:db8::100', 128)], devices, managed)).toEqual({ add: [], remove: [] });
  });
});

describe('vrrpSources', () => {
  const nic = (address: string, extra: Partial<{ secondary: boolean; tentative: boolean; tagged: boolean }> = {}) => ({ address, secondary: false, tentative: false, tagged: false, ...extra });

  it('picks the primary IPv4 address and the link-local IPv6 address', () => {
    expect(vrrpSources([nic('10.9.0.100'), nic('10.9.0.2'), nic('10.9.0.3', { secondary: true }), nic('2001:db8::2'), nic('FE80::1')], ['10.9.0.100'])).toEqual({
      ipv4: '10.9.0.2',
      ipv6: 'fe80::1',
    });
  });

  it('skips tagged VIPs, secondaries and tentative link-locals', () => {
    expect(vrrpSources([nic('10.9.0.7', { tagged: true }), nic('10.9.0.3', { secondary: true }), nic('fe80::1', { tentative: true })], [])).toEqual({});
  });
});
