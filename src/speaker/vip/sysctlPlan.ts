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
  /** An interface's key: the interface may go (a pod deleted) between listing and writing; then it is skipped. */
  transient?: boolean;
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

/** A network interface of the node, as the kernel lists it. */
export interface NodeInterface {
  name: string;
  /** Whether it has an IPv4 address: pod veths (Calico, Cilium) have none on the node side. */
  hasIpv4: boolean;
}

/**
 * Pods reply from the VIP, an address of the node too, through their veth, which has no IPv4
 * address. For such an incoming interface the kernel's source validation ends at "any
 * rp_filter drops it" (fib_validate_source's last resort), loose (2) included, and the
 * effective value is max(all, interface): so rp_filter must be 0 on `all`, on `default` (for
 * veths created later) and on each address-less interface. Interfaces with an address (the
 * NIC) keep their own value, and with it their anti-spoofing.
 */
export function nodeSysctlRules(interfaces: readonly NodeInterface[]): SysctlRule[] {
  return [
    { key: 'net/ipv4/conf/all/arp_ignore', want: '1', accept: ['1', '2'], why: 'answer ARP only for addresses on the incoming interface: the VIP on tsvs0 stays silent' },
    { key: 'net/ipv4/conf/all/arp_announce', want: '2', why: 'never use a VIP as the source of our own ARP requests' },
    { key: 'net/ipv4/conf/all/accept_local', want: '1', why: 'accept packets whose source is a local address (pod replies from the VIP)' },
    { key: 'net/ipv4/conf/all/rp_filter', want: '0', why: 'the effective rp_filter is max(all, interface): any value here drops pod replies from the VIP on address-less veths' },
    { key: 'net/ipv4/conf/default/rp_filter', want: '0', why: 'pod veths created later start without reverse-path filtering' },
    ...interfaces
      .filter((i) => !i.hasIpv4)
      .map((i) => ({ key: `net/ipv4/conf/${i.name}/rp_filter`, want: '0', transient: true, why: 'no IPv4 address here (a pod veth): any rp_filter drops pod replies from the VIP' })),
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
      if (!rule.transient) missing.push(rule.key);
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
