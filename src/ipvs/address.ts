import { isIPv6, SocketAddress } from 'node:net';
import { IpvsDecodeError, IpvsEncodeError } from './errors.js';
import type { Family } from './types.js';

/** The value of a dotted-quad IPv4 address (no leading zeros, like node:net), or -1 when it is not one. Hot in large dumps and batches. */
export function parseIPv4(address: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1;
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return -1;
    } else {
      return -1;
    }
  }
  return dots === 3 && digits > 0 ? value * 256 + part : -1;
}

export function familyOf(address: string): Family {
  if (parseIPv4(address) >= 0) return 'inet';
  if (isIPv6(address)) return 'inet6';
  throw new IpvsEncodeError(`not an IP address: '${address}'`);
}

/** The canonical text of an address (inet_ntop's form: lower case, longest zero run as ::). */
export function canonicalAddress(address: string): string {
  const family = familyOf(address);
  return new SocketAddress({ address, family: family === 'inet' ? 'ipv4' : 'ipv6' }).address;
}

/** Network-order bytes: 4 for IPv4, 16 for IPv6. */
export function addressToBytes(address: string): Buffer {
  const v4 = parseIPv4(address);
  if (v4 >= 0) {
    const bytes = Buffer.allocUnsafe(4);
    bytes.writeUInt32BE(v4);
    return bytes;
  }
  if (!isIPv6(address)) throw new IpvsEncodeError(`not an IP address: '${address}'`);
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
  return bytes;
}

/** Reads an address of the given family from `length` bytes at `offset` (the kernel sends a 16-byte union for both families). */
export function bytesToAddress(bytes: Buffer, offset: number, length: number, family: Family, context: string): string {
  const size = family === 'inet' ? 4 : 16;
  if (length < size) throw new IpvsDecodeError(`${context}: an ${family} address needs ${size} bytes, got ${length}`);
  if (family === 'inet') return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(bytes.readUInt16BE(offset + i * 2).toString(16));
  return canonicalAddress(groups.join(':'));
}
