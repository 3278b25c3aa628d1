import { describe, expect, it } from 'vitest';
import { nodeSysctlRules, planSysctls, planSysctlUndo } from '../../../src/speaker/vip/sysctlPlan.js';

const rules = nodeSysctlRules();
const defaults = new Map<string, string | undefined>([
  ['net/ipv4/conf/all/arp_ignore', '0'],
  ['net/ipv4/conf/all/arp_announce', '0'],
  ['net/ipv4/conf/all/accept_local', '0'],
  ['net/ipv4/conf/all/rp_filter', '1'],
  ['net/ipv4/vs/sloppy_tcp', '0'],
]);

describe('node sysctls', () => {
  it('sets every value a fresh kernel gets wrong', () => {
    expect(planSysctls(rules, defaults)).toEqual({
      changes: [
        { key: 'net/ipv4/conf/all/arp_ignore', from: '0', to: '1' },
        { key: 'net/ipv4/conf/all/arp_announce', from: '0', to: '2' },
        { key: 'net/ipv4/conf/all/accept_local', from: '0', to: '1' },
        { key: 'net/ipv4/conf/all/rp_filter', from: '1', to: '2' },
        { key: 'net/ipv4/vs/sloppy_tcp', from: '0', to: '1' },
      ],
      missing: [],
    });
  });

  it('is idempotent: nothing to do once applied', () => {
    const applied = new Map(planSysctls(rules, defaults).changes.map((c) => [c.key, c.to]));
    expect(planSysctls(rules, applied)).toEqual({ changes: [], missing: [] });
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
    const now = new Map(applied.map((c) => [c.key, c.to]));
    now.set('net/ipv4/conf/all/rp_filter', '0');
    expect(planSysctlUndo(applied, now)).toEqual([
      { key: 'net/ipv4/conf/all/arp_ignore', from: '1', to: '0' },
      { key: 'net/ipv4/conf/all/arp_announce', from: '2', to: '0' },
      { key: 'net/ipv4/conf/all/accept_local', from: '1', to: '0' },
      { key: 'net/ipv4/vs/sloppy_tcp', from: '1', to: '0' },
    ]);
  });
});
