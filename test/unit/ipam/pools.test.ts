import { describe, expect, it } from 'vitest';
import { formatRange } from '../../../src/controllers/ipam/addressBlock.js';
import { checkPools, poolSize } from '../../../src/controllers/ipam/pools.js';
import { pool } from './fixtures.js';


const noReserved = { nodeAddresses: [], serviceCidrs: [] };

describe('checkPools', () => {
  it('makes a usable pool of CIDRs, ranges and single addresses minus exclusions', () => {
    const { usable, problems } = checkPools(
      [pool('a', { addresses: ['192.0.2.0/30', '198.51.100.10-198.51.100.12', '2001:db8::5'], excludedAddresses: ['192.0.2.1'] })],
      noReserved,
    );
    expect(problems.size).toBe(0);
    expect(usable[0]!.ranges.map(formatRange)).toEqual(['192.0.2.0', '192.0.2.2-192.0.2.3', '198.51.100.10-198.51.100.12', '2001:db8::5']);
    expect(poolSize(usable[0]!, 'IPv4')).toBe(6n);
    expect(poolSize(usable[0]!, 'IPv6')).toBe(1n);
    expect(usable[0]!.autoAssign).toBe(true);
  });

  it('refuses a malformed pool and says which entry is wrong', () => {
    const { usable, problems } = checkPools([pool('bad', { addresses: ['192.0.2.0/24', '10.0.0.9-10.0.0.1'] })], noReserved);
    expect(usable).toEqual([]);
    expect(problems.get('bad')).toEqual([{ reason: 'InvalidAddresses', message: '10.0.0.9-10.0.0.1: the first address is after the last', fatal: true }]);
  });

  it('refuses a malformed exclusion', () => {
    const { problems } = checkPools([pool('bad', { addresses: ['192.0.2.0/24'], excludedAddresses: ['x'] })], noReserved);
    expect(problems.get('bad')![0]!.reason).toBe('InvalidAddresses');
  });

  it('refuses a pool whose own entries overlap', () => {
    const { problems } = checkPools([pool('self', { addresses: ['192.0.2.0/24', '192.0.2.128/25'] })], noReserved);
    expect(problems.get('self')![0]!.message).toBe('192.0.2.0-192.0.2.255 overlaps 192.0.2.128-192.0.2.255 in the same pool');
  });

  it('of two overlapping pools refuses the newer, whatever the list order', () => {
    const older = pool('zeta', { addresses: ['192.0.2.0/24'] }, '2026-01-01T00:00:00Z');
    const newer = pool('alpha', { addresses: ['192.0.2.200-192.0.2.210'] }, '2026-02-01T00:00:00Z');
    for (const pools of [[older, newer], [newer, older]]) {
      const { usable, problems } = checkPools(pools, noReserved);
      expect(usable.map((p) => p.name)).toEqual(['zeta']);
      expect(problems.get('alpha')![0]).toMatchObject({ reason: 'Overlap', fatal: true });
      expect(problems.get('alpha')![0]!.message).toContain('overlaps pool zeta');
    }
  });

  it('does not call pools of different families overlapping', () => {
    const { usable } = checkPools([pool('v4', { addresses: ['0.0.0.0/0'] }), pool('v6', { addresses: ['::/96'] })], noReserved);
    expect(usable).toHaveLength(2);
  });

  it('leaves node and Service-CIDR addresses out of a pool and reports them', () => {
    const { usable, problems } = checkPools([pool('p', { addresses: ['10.0.0.0/28', '10.96.0.0/30'] })], {
      nodeAddresses: ['10.0.0.5', '172.16.0.1'],
      serviceCidrs: ['10.96.0.0/12'],
    });
    expect(usable[0]!.ranges.map(formatRange)).toEqual(['10.0.0.0-10.0.0.4', '10.0.0.6-10.0.0.15']);
    expect(problems.get('p')).toEqual([
      { reason: 'ReservedAddresses', message: 'left out of the pool because nodes or Services use them: 10.0.0.5, 10.96.0.0/12', fatal: false },
    ]);
  });

  it('keeps autoAssign and the namespace selector', () => {
    const selector = { matchLabels: { team: 'a' } };
    const { usable } = checkPools([pool('p', { addresses: ['10.0.0.0/30'], autoAssign: false, namespaceSelector: selector })], noReserved);
    expect(usable[0]).toMatchObject({ autoAssign: false, namespaceSelector: selector });
  });
});
