/**
 * The node sysctls the VIP data path needs (DESIGN.md; TECH.md §4.2), as a pure diff of
 * desired against actual values. Keys are paths under /proc/sys.
 */

export interface SysctlRule {
  key: string;
  /** The value we write when the current one is not acceptable. */
  want: string;
  /** Values that already do the job (defaults to [want]). */
  accept?: string[];
  /** Present only once a module is loaded (ip_vs): a missing file is reported, not an error. */
  optional?: boolean;
  why: string;
}

export interface SysctlChange {
  key: string;
  from: string;
  to: string;
}

export interface SysctlPlan {
  changes: SysctlChange[];
  /** Files that do not exist (yet). */
  missing: string[];
}

export function nodeSysctlRules(): SysctlRule[] {
  return [
    { key: 'net/ipv4/conf/all/arp_ignore', want: '1', accept: ['1', '2'], why: 'answer ARP only for addresses on the incoming interface: the VIP on tsvs0 stays silent' },
    { key: 'net/ipv4/conf/all/arp_announce', want: '2', why: 'never use a VIP as the source of our own ARP requests' },
    { key: 'net/ipv4/conf/all/accept_local', want: '1', why: 'accept packets whose source is a local address (pod replies from the VIP)' },
    // The effective rp_filter is max(all, interface): 2 on all makes every interface loose.
    { key: 'net/ipv4/conf/all/rp_filter', want: '2', why: 'loose reverse-path filtering for asymmetric direct-routing paths' },
    { key: 'net/ipv4/vs/sloppy_tcp', want: '1', optional: true, why: 'a new master picks up established connections mid-stream' },
  ];
}

/** `actual` maps each key to its current value, or undefined when the file is missing. */
export function planSysctls(rules: SysctlRule[], actual: ReadonlyMap<string, string | undefined>): SysctlPlan {
  const changes: SysctlChange[] = [];
  const missing: string[] = [];
  for (const rule of rules) {
    const current = actual.get(rule.key);
    if (current === undefined) {
      missing.push(rule.key);
      continue;
    }
    if (!(rule.accept ?? [rule.want]).includes(current)) changes.push({ key: rule.key, from: current, to: rule.want });
  }
  return { changes, missing };
}

/** Reverts our changes, except where someone else has changed the value since. */
export function planSysctlUndo(applied: SysctlChange[], actual: ReadonlyMap<string, string | undefined>): SysctlChange[] {
  return applied.filter((change) => actual.get(change.key) === change.to).map((change) => ({ key: change.key, from: change.to, to: change.from }));
}
