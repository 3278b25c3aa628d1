import { ipToBytes } from '../net/ipAddress.js';

export const BROADCAST_MAC = Buffer.alloc(6, 0xff);
/** Ethernet multicast for ff02::1 (all nodes). */
export const ALL_NODES_MAC = Buffer.from([0x33, 0x33, 0, 0, 0, 1]);
export const ALL_NODES = 'ff02::1';
const ETH_P_IP = 0x0800;
const ETH_P_ARP = 0x0806;
const MIN_FRAME = 60;

export function parseMac(text: string): Buffer {
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(text)) throw new Error(`not a MAC address: '${text}'`);
  return Buffer.from(text.replaceAll(':', ''), 'hex');
}

export function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * A gratuitous ARP in the request form (RFC 5227 §3, as keepalived and FRR send): broadcast,
 * op 1, sender = target = the VIP, target MAC zero. Receivers update an existing entry; switches
 * learn the source MAC.
 */
export function gratuitousArpFrame(mac: Buffer, address: string): Buffer {
  const ip = ipToBytes(address);
  if (ip.length !== 4) throw new Error(`gratuitous ARP needs an IPv4 address, not ${address}`);
  const frame = Buffer.alloc(MIN_FRAME);
  BROADCAST_MAC.copy(frame, 0);
  mac.copy(frame, 6);
  frame.writeUInt16BE(ETH_P_ARP, 12);
  frame.writeUInt16BE(1, 14); // hardware type: Ethernet
  frame.writeUInt16BE(ETH_P_IP, 16);
  frame.writeUInt8(6, 18);
  frame.writeUInt8(4, 19);
  frame.writeUInt16BE(1, 20); // request
  mac.copy(frame, 22);
  ip.copy(frame, 28);
  ip.copy(frame, 38);
  return frame;
}

/**
 * An unsolicited neighbour advertisement (RFC 4861 §7.2.6) for ff02::1: the ICMPv6 message
 * only (the kernel fills the checksum on an ICMPv6 raw socket). Override set, Solicited clear,
 * Router clear because a load-balancer VIP is not a gateway (as MetalLB); option: target MAC.
 */
export function unsolicitedNeighborAdvert(mac: Buffer, address: string): Buffer {
  const target = ipToBytes(address);
  if (target.length !== 16) throw new Error(`a neighbour advertisement needs an IPv6 address, not ${address}`);
  const message = Buffer.alloc(32);
  message.writeUInt8(136, 0);
  message.writeUInt8(0x20, 4); // O
  target.copy(message, 8);
  message.writeUInt8(2, 24); // Target Link-Layer Address option
  message.writeUInt8(1, 25); // length in units of 8 bytes
  mac.copy(message, 26);
  return message;
}

export interface AnnounceSchedule {
  /** Messages per burst. */
  count: number;
  /** Gap between messages of a burst. */
  intervalMs: number;
  /** A second burst this long after the first (keepalived's garp_master_delay); 0 for none. */
  repeatAfterMs: number;
}

export const DEFAULT_ANNOUNCE_SCHEDULE: AnnounceSchedule = { count: 5, intervalMs: 10, repeatAfterMs: 5000 };

/** The send times, relative to becoming master, of every gratuitous message. */
export function announceOffsets(schedule: AnnounceSchedule): number[] {
  const burst = Array.from({ length: schedule.count }, (_, i) => i * schedule.intervalMs);
  return schedule.repeatAfterMs > 0 ? [...burst, ...burst.map((t) => t + schedule.repeatAfterMs)] : burst;
}
