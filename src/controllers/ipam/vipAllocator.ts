import { matchesLabelSelector } from '../../kube/labelSelector.js';
import type { AddressRange } from './addressBlock.js';
import { formatIp, parseIp, type IpFamily } from './ipAddress.js';
import type { UsablePool } from './pools.js';

/** Who holds a VIP: one VirtualServer (by namespace/name key) and the ports it serves on it. */
export interface VipHolder {
  key: string;
  sharingKey?: string;
  /** `PROTOCOL/port`, e.g. `TCP/80`. */
  ports: string[];
}

export interface AllocationRequest extends VipHolder {
  namespaceLabels: Record<string, string>;
  family: IpFamily;
  requestedIp?: string;
  pool?: string;
}

export type AllocationFailure =
  | 'InvalidAddress'
  | 'FamilyMismatch'
  | 'NotInPool'
  | 'PoolNotFound'
  | 'PoolNotAllowed'
  | 'NoPool'
  | 'AddressInUse'
  | 'PoolExhausted';

export type AllocationResult =
  | { ok: true; ip: string; pool: string | undefined; changed: boolean }
  | { ok: false; reason: AllocationFailure; message: string };

/**
 * The VIP address book: which VirtualServer holds which address. It holds no
 * state that cannot be rebuilt: on start the controller replays every
 * VirtualServer's status.vip through `restore` before allocating anything new,
 * so a restart never moves an address.
 */
export class VipAllocator {
  private pools: UsablePool[] = [];
  private readonly holders = new Map<string, VipHolder[]>();
  private readonly ipOfKey = new Map<string, string>();
  private readonly heldValues: Record<IpFamily, Set<bigint>> = { IPv4: new Set(), IPv6: new Set() };
  /** Per range, a lower bound of its first free address, so sequential allocation does not rescan. */
  private readonly firstFreeHint = new Map<string, bigint>();

  constructor(pools: UsablePool[] = []) {
    this.setPools(pools);
  }

  setPools(pools: UsablePool[]): void {
    this.pools = pools;
  }

  ipOf(key: string): string | undefined {
    return this.ipOfKey.get(key);
  }

  holdersOf(ip: string): readonly VipHolder[] {
    return this.holders.get(ip) ?? [];
  }

  poolOf(ip: string): UsablePool | undefined {
    const parsed = parseIp(ip);
    return parsed && this.pools.find((p) => p.ranges.some((r) => contains(r, parsed.family, parsed.value)));
  }

  /** Addresses of a family held in a pool. */
  usedIn(pool: UsablePool, family: IpFamily): number {
    let used = 0;
    for (const ip of this.holders.keys()) {
      const parsed = parseIp(ip)!;
      if (parsed.family === family && pool.ranges.some((r) => contains(r, family, parsed.value))) used++;
    }
    return used;
  }

  /** Records an allocation read back from status; fails if it clashes with one already recorded. */
  restore(holder: VipHolder, ip: string): AllocationResult {
    const parsed = parseIp(ip);
    if (!parsed) return { ok: false, reason: 'InvalidAddress', message: `'${ip}' is not an IP address` };
    const canonical = formatIp(parsed.family, parsed.value);
    if (this.ipOfKey.get(holder.key) === canonical) return { ok: true, ip: canonical, pool: this.poolOf(canonical)?.name, changed: false };
    const clash = this.clash(canonical, holder);
    if (clash) return { ok: false, reason: 'AddressInUse', message: clash };
    this.release(holder.key);
    this.hold(canonical, parsed.value, holder);
    return { ok: true, ip: canonical, pool: this.poolOf(canonical)?.name, changed: true };
  }

  allocate(request: AllocationRequest): AllocationResult {
    const current = this.ipOfKey.get(request.key);
    if (current !== undefined && this.satisfies(current, request)) {
      this.replaceHolder(current, request);
      return { ok: true, ip: current, pool: this.poolOf(current)?.name, changed: false };
    }
    const result = request.requestedIp !== undefined ? this.allocateRequested(request) : this.allocateFromPools(request);
    return result;
  }

  release(key: string): string | undefined {
    const ip = this.ipOfKey.get(key);
    if (ip === undefined) return undefined;
    this.ipOfKey.delete(key);
    const remaining = (this.holders.get(ip) ?? []).filter((h) => h.key !== key);
    if (remaining.length > 0) {
      this.holders.set(ip, remaining);
      return ip;
    }
    this.holders.delete(ip);
    const { family, value } = parseIp(ip)!;
    this.heldValues[family].delete(value);
    for (const pool of this.pools) {
      for (const range of pool.ranges) {
        const hint = this.firstFreeHint.get(rangeKey(range));
        if (contains(range, family, value) && hint !== undefined && value < hint) this.firstFreeHint.set(rangeKey(range), value);
      }
    }
    return ip;
  }

  private allocateRequested(request: AllocationRequest): AllocationResult {
    const parsed = parseIp(request.requestedIp!);
    if (!parsed) return { ok: false, reason: 'InvalidAddress', message: `requested address '${request.requestedIp}' is not an IP address` };
    const ip = formatIp(parsed.family, parsed.value);
    if (parsed.family !== request.family) {
      return { ok: false, reason: 'FamilyMismatch', message: `requested address ${ip} is not ${request.family}` };
    }
    const pool = this.poolOf(ip);
    if (!pool) return { ok: false, reason: 'NotInPool', message: `requested address ${ip} is in no usable address pool` };
    if (request.pool !== undefined && pool.name !== request.pool) {
      return { ok: false, reason: 'NotInPool', message: `requested address ${ip} is in pool ${pool.name}, not in pool ${request.pool}` };
    }
    if (!matchesLabelSelector(pool.namespaceSelector, request.namespaceLabels)) {
      return { ok: false, reason: 'PoolNotAllowed', message: `pool ${pool.name} does not allow this namespace` };
    }
    const clash = this.clash(ip, request);
    if (clash) return { ok: false, reason: 'AddressInUse', message: clash };
    this.release(request.key);
    this.hold(ip, parsed.value, request);
    return { ok: true, ip, pool: pool.name, changed: true };
  }

  private allocateFromPools(request: AllocationRequest): AllocationResult {
    let candidates: UsablePool[];
    if (request.pool !== undefined) {
      const pool = this.pools.find((p) => p.name === request.pool);
      if (!pool) return { ok: false, reason: 'PoolNotFound', message: `address pool ${request.pool} does not exist or is not usable` };
      if (!matchesLabelSelector(pool.namespaceSelector, request.namespaceLabels)) {
        return { ok: false, reason: 'PoolNotAllowed', message: `pool ${pool.name} does not allow this namespace` };
      }
      candidates = [pool];
    } else {
      candidates = this.pools.filter((p) => p.autoAssign && matchesLabelSelector(p.namespaceSelector, request.namespaceLabels));
      if (candidates.length === 0) {
        return { ok: false, reason: 'NoPool', message: `no address pool assigns ${request.family} addresses automatically to this namespace` };
      }
    }
    candidates = candidates.filter((p) => p.ranges.some((r) => r.family === request.family));
    if (candidates.length === 0) {
      return { ok: false, reason: 'NoPool', message: `no usable address pool has ${request.family} addresses` };
    }
    if (request.sharingKey !== undefined) {
      for (const [ip, holders] of this.holders) {
        const parsed = parseIp(ip)!;
        if (parsed.family !== request.family || !holders.some((h) => h.sharingKey === request.sharingKey)) continue;
        const pool = candidates.find((p) => p.ranges.some((r) => contains(r, parsed.family, parsed.value)));
        if (pool && !this.clash(ip, request)) {
          this.release(request.key);
          this.hold(ip, parsed.value, request);
          return { ok: true, ip, pool: pool.name, changed: true };
        }
      }
    }
    for (const pool of candidates) {
      for (const range of pool.ranges.filter((r) => r.family === request.family)) {
        const free = this.firstFree(range);
        if (free === undefined) continue;
        this.release(request.key);
        const ip = formatIp(range.family, free);
        this.hold(ip, free, request);
        return { ok: true, ip, pool: pool.name, changed: true };
      }
    }
    return {
      ok: false,
      reason: 'PoolExhausted',
      message: `no free ${request.family} address in ${candidates.map((p) => `pool ${p.name}`).join(', ')}`,
    };
  }

  private firstFree(range: AddressRange): bigint | undefined {
    const key = rangeKey(range);
    for (let v = this.firstFreeHint.get(key) ?? range.first; v <= range.last; v++) {
      if (!this.heldValues[range.family].has(v)) {
        this.firstFreeHint.set(key, v);
        return v;
      }
    }
    this.firstFreeHint.set(key, range.last + 1n);
    return undefined;
  }

  /** Why the holder cannot have ip, or undefined if it can (free, or shared without a port clash). */
  private clash(ip: string, holder: VipHolder): string | undefined {
    const others = (this.holders.get(ip) ?? []).filter((h) => h.key !== holder.key);
    for (const other of others) {
      if (holder.sharingKey === undefined || other.sharingKey !== holder.sharingKey) {
        return `address ${ip} is held by ${other.key}${other.sharingKey === undefined ? '' : ` (sharing key ${other.sharingKey})`}`;
      }
      const common = holder.ports.filter((p) => other.ports.includes(p));
      if (common.length > 0) return `address ${ip} is shared with ${other.key}, which already serves ${common.join(', ')}`;
    }
    return undefined;
  }

  private satisfies(ip: string, request: AllocationRequest): boolean {
    const parsed = parseIp(ip)!;
    if (parsed.family !== request.family) return false;
    if (request.requestedIp !== undefined && parseIp(request.requestedIp)?.value !== parsed.value) return false;
    const pool = this.poolOf(ip);
    if (request.pool !== undefined && pool?.name !== request.pool) return false;
    return this.clash(ip, request) === undefined;
  }

  private hold(ip: string, value: bigint, holder: VipHolder): void {
    this.holders.set(ip, [...(this.holders.get(ip) ?? []), { key: holder.key, sharingKey: holder.sharingKey, ports: holder.ports }]);
    this.ipOfKey.set(holder.key, ip);
    this.heldValues[parseIp(ip)!.family].add(value);
  }

  private replaceHolder(ip: string, holder: VipHolder): void {
    const others = (this.holders.get(ip) ?? []).filter((h) => h.key !== holder.key);
    this.holders.set(ip, [...others, { key: holder.key, sharingKey: holder.sharingKey, ports: holder.ports }]);
  }
}

function contains(range: AddressRange, family: IpFamily, value: bigint): boolean {
  return range.family === family && range.first <= value && value <= range.last;
}

function rangeKey(range: AddressRange): string {
  return `${range.family}:${range.first}`;
}
