import { describe, expect, it } from 'vitest';
import { nodeSysctlRules, planSysctls, planSysctlUndo } from '../../../src/speaker/vip/sysctlPlan.js';

// lo and the NIC have addresses; cali1 is a pod's veth, without one on the node side.
const interfaces = [
  { name: 'lo', hasIpv4: true },
  { name: 'eth0', hasIpv4: true },
  { name: 'cali1', hasIpv4: false },
];
const rules = nodeSysctlRules(interfaces);
const defaults = new Map<string, string | undefined>([
  ['net/ipv4/conf/all/arp_ignore', '0'],
  ['net/ipv4/conf/all/arp_announce', '0'],
  ['net/ipv4/conf/all/accept_local', '0'],
  ['net/ipv4/conf/all/rp_filter', '2'],
  ['net/ipv4/conf/default/rp_filter', '1'],
  ['net/ipv4/conf/cali1/rp_filter', '1'],
  ['net/ipv4/vs/sloppy_tcp', '0'],
]);

describe('node sysctls', () => {
  it('sets every value a fresh kernel gets wrong', () => {
    expect(planSysctls(rules, defaults)).toEqual({
      changes: [
        { key: 'net/ipv4/conf/all/arp_ignore', from: '0', to: '1' },
        { key: 'net/ipv4/conf/all/arp_announce', from: '0', to: '2' },
        { key: 'net/ipv4/conf/all/accept_local', from: '0', to: '1' },
        { key: 'net/ipv4/conf/all/rp_filter', from: '2', to: '0' },
        { key: 'net/ipv4/conf/default/rp_filter', from: '1', to: '0' },
        { key: 'net/ipv4/conf/cali1/rp_filter', from: '1', to: '0' },
        { key: 'net/ipv4/vs/sloppy_tcp', from: '0', to: '1' },
      ],
      missing: [],
    });
  });

  it('is idempotent: nothing to do once applied', () => {
    const applied = new Map(planSysctls(rules, defaults).changes.map((c) => [c.key, c.to]));
    expect(planSysctls(rules, applied)).toEqual({ changes: [], missing: [] });
  });

  it('turns rp_filter off only where an address-less interface needs it: the NIC keeps its own', () => {
    const keys = rules.filter((r) => r.key.endsWith('/rp_filter')).map((r) => [r.key, r.want]);
    expect(keys).toEqual([
      ['net/ipv4/conf/all/rp_filter', '0'],
      ['net/ipv4/conf/default/rp_filter', '0'],
      ['net/ipv4/conf/cali1/rp_filter', '0'],
    ]);
  });

  it('follows the interfaces: a new veth gets its rule, one given an address loses it', () => {
    const later = nodeSysctlRules([
      { name: 'eth0', hasIpv4: true },
      { name: 'cali1', hasIpv4: true },
      { name: 'cali2', hasIpv4: false },
    ]);
    expect(later.filter((r) => r.transient).map((r) => r.key)).toEqual(['net/ipv4/conf/cali2/rp_filter']);
  });

  it('skips an interface gone since it was listed, without reporting it missing', () => {
    const actual = new Map(defaults);
    actual.set('net/ipv4/conf/cali1/rp_filter', undefined);
    const plan = planSysctls(rules, actual);
    expect(plan.missing).toEqual([]);
    expect(plan.changes.map((c) => c.key)).not.toContain('net/ipv4/conf/cali1/rp_filter');
  });

  it('leaves an acceptable stricter value alone', () => {
    const actual = new Map(defaults);
    actual.set('net/ipv4/conf/all/arp_ignore', '2');
    expect(planSysctls(rules, actual).changes.map((c) => c.key)).not.toContain('net/ipv4/conf/all/arp_ignore');
  });

  it('reports the IPVS sysctl as missing before ip_vs is loaded', () => {
    const actual = new Map(defaults);
    actual.set('net/ipv4/vs/sloppy_tcp', undefined);
    const plan = planSysctls(rules, actual);
    expect(plan.missing).toEqual(['net/ipv4/vs/sloppy_tcp']);
    expect(plan.changes.map((c) => c.key)).not.toContain('net/ipv4/vs/sloppy_tcp');
    expect(rules.find((r) => r.key === 'net/ipv4/vs/sloppy_tcp')?.optional).toBe(true);
  });

  it('undoes only what it changed and what nobody changed since', () => {
    const applied = planSysctls(rules, defaults).changes;
    const now = new Map<string, string | undefined>(applied.map((c) => [c.key, c.to]));
    now.set('net/ipv4/conf/all/rp_filter', '1');
    now.set('net/ipv4/conf/cali1/rp_filter', undefined);
    expect(planSysctlUndo(applied, now)).toEqual([
      { key: 'net/ipv4/conf/all/arp_ignore', from: '1', to: '0' },
      { key: 'net/ipv4/conf/all/arp_announce', from: '2', to: '0' },
      { key: 'net/ipv4/conf/all/accept_local', from: '1', to: '0' },
      { key: 'net/ipv4/conf/default/rp_filter', from: '0', to: '1' },
      { key: 'net/ipv4/vs/sloppy_tcp', from: '1', to: '0' },
    ]);
  });
});
