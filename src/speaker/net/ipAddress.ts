import { isIPv4, isIPv6 } from 'node:net';

export type IpFamily = 4 | 6;

/** An address string that is not a valid IPv4 or IPv6 literal. */
export class IpAddressError extends Error {
  override readonly name = 'IpAddressError';
}

export function ipFamily(address: string): IpFamily {
  if (isIPv4(address)) return 4;
  if (isIPv6(address)) return 6;
  throw new IpAddressError(`not an IP address: '${address}'`);
}

/** Network-order bytes of an IPv4 (4 bytes) or IPv6 (16 bytes) literal. */
export function ipToBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  if (!isIPv6(address)) throw new IpAddressError(`not an IP address: '${address}'`);
  const bytes = Buffer.alloc(16);
  let text = address.replace(/%.*$/, '');
  // A trailing dotted quad (::ffff:1.2.3.4) becomes two hex groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const v4 = ipToBytes(dotted[1]);
    text = `${text.slice(0, dotted.index)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  groups.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
  return bytes;
}

/** The canonical text form (RFC 5952 for IPv6) of 4 or 16 network-order bytes. */
export function bytesToIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) throw new IpAddressError(`an IP address has 4 or 16 bytes, not ${bytes.length}`);
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, 16);
  const groups = Array.from({ length: 8 }, (_, i) => view.readUInt16BE(i * 2));
  // The longest run of two or more zero groups (the first one on a tie) becomes '::'.
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

/** The canonical text form of an address literal, so that equal addresses compare equal as strings. */
export function canonicalIp(address: string): string {
  return bytesToIp(ipToBytes(address));
}

/** Unsigned comparison of two addresses of the same family: negative, zero or positive. */
export function compareIp(a: string, b: string): number {
  return Buffer.compare(ipToBytes(a), ipToBytes(b));
}
