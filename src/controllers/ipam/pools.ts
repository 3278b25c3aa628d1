import type { V1LabelSelector } from '@kubernetes/client-node';
import type { AddressPool } from '../../kube/addressPool.js';
import { formatRange, parseAddressBlock, rangeSize, rangesOverlap, subtractRanges, type AddressRange } from './addressBlock.js';
import type { IpFamily } from './ipAddress.js';

/** A pool the allocator may use: its addresses minus exclusions and reserved addresses, sorted. */
export interface UsablePool {
  name: string;
  autoAssign: boolean;
  namespaceSelector?: V1LabelSelector;
  ranges: AddressRange[];
}

/** Why a pool is unusable (Ready=False) or usable with a warning. */
export interface PoolProblem {
  reason: 'InvalidAddresses' | 'Overlap' | 'ReservedAddresses';
  message: string;
  fatal: boolean;
}

export interface PoolCheck {
  usable: UsablePool[];
  problems: Map<string, PoolProblem[]>;
}

/** Addresses no pool may hand out: nodes' own addresses and the cluster's Service CIDRs. */
export interface ReservedAddresses {
  nodeAddresses: string[];
  serviceCidrs: string[];
}

/**
 * Decides which pools are usable. Malformed pools are refused. Of two
 * overlapping pools the older (then the alphabetically first) keeps its
 * addresses and the other is refused, so adding a pool never takes addresses
 * away from Services already using an existing one. Node and Service-CIDR
 * addresses inside a pool are left out of it and reported.
 */
export function checkPools(pools: AddressPool[], reserved: ReservedAddresses): PoolCheck {
  const problems = new Map<string, PoolProblem[]>();
  const report = (pool: string, problem: PoolProblem) => problems.set(pool, [...(problems.get(pool) ?? []), problem]);
  const reservedRanges = [...reserved.nodeAddresses, ...reserved.serviceCidrs].flatMap((text) => {
    const parsed = parseAddressBlock(text);
    return parsed.ok ? [{ text, range: parsed.value }] : [];
  });
  const ordered = [...pools].sort(
    (a, b) => timestamp(a) - timestamp(b) || a.metadata.name.localeCompare(b.metadata.name),
  );
  const usable: UsablePool[] = [];
  for (const pool of ordered) {
    const name = pool.metadata.name;
    const parse = (list: string[]) => list.map((text) => ({ text, parsed: parseAddressBlock(text) }));
    const entries = parse(pool.spec.addresses ?? []);
    const exclusions = parse(pool.spec.excludedAddresses ?? []);
    const malformed = [...entries, ...exclusions].flatMap((e) => (e.parsed.ok ? [] : [e.parsed.error]));
    if (malformed.length > 0) {
      report(name, { reason: 'InvalidAddresses', message: malformed.join('; '), fatal: true });
      continue;
    }
    const ranges = entries.map((e) => (e.parsed as { value: AddressRange }).value);
    const selfOverlap = ranges.flatMap((a, i) => ranges.slice(i + 1).filter((b) => rangesOverlap(a, b)).map((b) => [a, b] as const));
    if (selfOverlap.length > 0) {
      const [a, b] = selfOverlap[0]!;
      report(name, { reason: 'InvalidAddresses', message: `${formatRange(a)} overlaps ${formatRange(b)} in the same pool`, fatal: true });
      continue;
    }
    const clash = usable.flatMap((other) =>
      ranges.flatMap((r) => other.ranges.filter((o) => rangesOverlap(r, o)).map((o) => ({ other: other.name, r, o }))),
    )[0];
    if (clash) {
      report(name, {
        reason: 'Overlap',
        message: `${formatRange(clash.r)} overlaps pool ${clash.other} (${formatRange(clash.o)}), which was there first`,
        fatal: true,
      });
      continue;
    }
    const inPool = reservedRanges.filter((res) => ranges.some((r) => rangesOverlap(r, res.range)));
    if (inPool.length > 0) {
      report(name, {
        reason: 'ReservedAddresses',
        message: `left out of the pool because nodes or Services use them: ${inPool.map((r) => r.text).join(', ')}`,
        fatal: false,
      });
    }
    const holes = [...exclusions.map((e) => (e.parsed as { value: AddressRange }).value), ...inPool.map((r) => r.range)];
    usable.push({
      name,
      autoAssign: pool.spec.autoAssign ?? true,
      namespaceSelector: pool.spec.namespaceSelector,
      ranges: subtractRanges(ranges, holes),
    });
  }
  return { usable, problems };
}

export function poolSize(pool: UsablePool, family: IpFamily): bigint {
  return pool.ranges.filter((r) => r.family === family).reduce((n, r) => n + rangeSize(r), 0n);
}

function timestamp(pool: AddressPool): number {
  const created = pool.metadata.creationTimestamp;
  return created ? new Date(created).getTime() : Number.MAX_SAFE_INTEGER;
}
