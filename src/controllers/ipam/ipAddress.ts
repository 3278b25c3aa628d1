import { isIPv4, isIPv6 } from 'node:net';
import { bytesToIp, ipToBytes } from '../../speaker/net/ipAddress.js';

export type IpFamily = 'IPv4' | 'IPv6';

/** An address as a number, so that ranges and prefixes are arithmetic. */
export interface ParsedIp {
  family: IpFamily;
  value: bigint;
}

/** Parses a textual IPv4 or IPv6 address (no zone) into a number; undefined if it is not one. */
export function parseIp(text: string): ParsedIp | undefined {
  const family = isIPv4(text) ? 'IPv4' : isIPv6(text) && !text.includes('%') ? 'IPv6' : undefined;
  if (!family) return undefined;
  return { family, value: BigInt(`0x${ipToBytes(text).toString('hex')}`) };
}

export function familyBits(family: IpFamily): number {
  return family === 'IPv4' ? 32 : 128;
}

/** The canonical text form (RFC 5952 for IPv6), so equal addresses compare equal as strings. */
export function formatIp(family: IpFamily, value: bigint): string {
  const bytes = familyBits(family) / 8;
  return bytesToIp(Buffer.from(value.toString(16).padStart(bytes * 2, '0'), 'hex'));
}

/** Canonical form of a textual address, or undefined if it is not one. */
export function canonicalIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip && formatIp(ip.family, ip.value);
}
