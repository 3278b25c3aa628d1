import { familyBits, formatIp, parseIp, type IpFamily } from './ipAddress.js';

/** An inclusive range of addresses of one family. */
export interface AddressRange {
  family: IpFamily;
  first: bigint;
  last: bigint;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Parses one entry of a pool's address list: a CIDR (`192.0.2.0/24`,
 * `2001:db8::/120`), a range (`192.0.2.10-192.0.2.20`) or a single address.
 */
export function parseAddressBlock(text: string): ParseResult<AddressRange> {
  const entry = text.trim();
  if (entry.includes('/')) {
    const [address = '', prefixText = ''] = entry.split('/');
    const ip = parseIp(address);
    if (!ip) return { ok: false, error: `${entry}: '${address}' is not an IP address` };
    const bits = familyBits(ip.family);
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) {
      return { ok: false, error: `${entry}: prefix length must be 0-${bits}` };
    }
    const hostBits = BigInt(bits - Number(prefixText));
    const hostMask = (1n << hostBits) - 1n;
    if ((ip.value & hostMask) !== 0n) {
      const network = formatIp(ip.family, ip.value & ~hostMask);
      return { ok: false, error: `${entry}: host bits are set (did you mean ${network}/${prefixText}?)` };
    }
    return { ok: true, value: { family: ip.family, first: ip.value, last: ip.value | hostMask } };
  }
  if (entry.includes('-')) {
    const [fromText = '', toText = '', ...extra] = entry.split('-').map((s) => s.trim());
    const from = parseIp(fromText);
    const to = parseIp(toText);
    if (extra.length > 0 || !from || !to) return { ok: false, error: `${entry}: a range is FIRST-LAST with two IP addresses` };
    if (from.family !== to.family) return { ok: false, error: `${entry}: a range cannot mix IPv4 and IPv6` };
    if (from.value > to.value) return { ok: false, error: `${entry}: the first address is after the last` };
    return { ok: true, value: { family: from.family, first: from.value, last: to.value } };
  }
  const ip = parseIp(entry);
  if (!ip) return { ok: false, error: `${entry}: not a CIDR, a range or an IP address` };
  return { ok: true, value: { family: ip.family, first: ip.value, last: ip.value } };
}

export function rangeSize(range: AddressRange): bigint {
  return range.last - range.first + 1n;
}

export function rangesOverlap(a: AddressRange, b: AddressRange): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

export function formatRange(range: AddressRange): string {
  const first = formatIp(range.family, range.first);
  return range.first === range.last ? first : `${first}-${formatIp(range.family, range.last)}`;
}

/** The parts of `ranges` not covered by `holes`, sorted. */
export function subtractRanges(ranges: AddressRange[], holes: AddressRange[]): AddressRange[] {
  let pieces = [...ranges];
  for (const hole of holes) {
    pieces = pieces.flatMap((r) => {
      if (!rangesOverlap(r, hole)) return [r];
      const left = hole.first > r.first ? [{ family: r.family, first: r.first, last: hole.first - 1n }] : [];
      const right = hole.last < r.last ? [{ family: r.family, first: hole.last + 1n, last: r.last }] : [];
      return [...left, ...right];
    });
  }
  return pieces.sort((a, b) => (a.family === b.family ? (a.first < b.first ? -1 : a.first > b.first ? 1 : 0) : a.family === 'IPv4' ? -1 : 1));
}
