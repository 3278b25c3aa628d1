import { isIPv4, isIPv6, SocketAddress } from 'node:net';
import { IpvsDecodeError, IpvsEncodeError } from './errors.js';
import type { Family } from './types.js';

export function familyOf(address: string): Family {
  if (isIPv4(address)) return 'inet';
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
  if (familyOf(address) === 'inet') return Buffer.from(address.split('.').map(Number));
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

/** Reads an address of the given family from the start of a kernel buffer (the kernel sends a 16-byte union for both). */
export function bytesToAddress(bytes: Buffer, family: Family, context: string): string {
  const size = family === 'inet' ? 4 : 16;
  if (bytes.length < size) throw new IpvsDecodeError(`${context}: an ${family} address needs ${size} bytes, got ${bytes.length}`);
  if (family === 'inet') return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16));
  return canonicalAddress(groups.join(':'));
}
