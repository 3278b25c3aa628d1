import { isIPv4, isIPv6 } from 'node:net';

export type IpFamily = 'IPv4' | 'IPv6';

export interface ParsedIp {
  family: IpFamily;
  value: bigint;
}

/** Parses a textual IPv4 or IPv6 address into a number; undefined if it is not one. */
export function parseIp(text: string): ParsedIp | undefined {
  if (isIPv4(text)) {
    const value = text.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
    return { family: 'IPv4', value };
  }
  if (!isIPv6(text) || text.includes('%')) return undefined;
  let groups: string[];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  const hex = dotted ? text.slice(0, -dotted[1]!.length) + ipv4AsGroups(dotted[1]!) : text;
  const [head, tail] = hex.split('::') as [string, string | undefined];
  const headGroups = head ? head.split(':') : [];
  if (tail === undefined) groups = headGroups;
  else {
    const tailGroups = tail ? tail.split(':') : [];
    groups = [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  }
  const value = groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
  return { family: 'IPv6', value };
}

function ipv4AsGroups(dotted: string): string {
  const v = parseIp(dotted)!.value;
  return `${(v >> 16n).toString(16)}:${(v & 0xffffn).toString(16)}`;
}

export function familyBits(family: IpFamily): number {
  return family === 'IPv4' ? 32 : 128;
}

/** The canonical text form (RFC 5952 for IPv6), so equal addresses compare equal as strings. */
export function formatIp(family: IpFamily, value: bigint): string {
  if (family === 'IPv4') return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Canonical form of a textual address, or undefined if it is not one. */
export function canonicalIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip && formatIp(ip.family, ip.value);
}
