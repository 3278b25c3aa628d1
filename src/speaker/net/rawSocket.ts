import { createRequire } from 'node:module';
import { ipToBytes } from './ipAddress.js';

/** Linux constants the speaker uses with raw sockets (from <linux/in.h>, <linux/in6.h>, <asm/socket.h>). */
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_PACKET = 17;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOL_SOCKET = 1;
export const IPPROTO_IP = 0;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ICMPV6 = 58;
export const SO_BINDTODEVICE = 25;
export const IP_TTL = 2;
export const IP_PKTINFO = 8;
export const IP_MULTICAST_IF = 32;
export const IP_MULTICAST_TTL = 33;
export const IP_MULTICAST_LOOP = 34;
export const IP_ADD_MEMBERSHIP = 35;
export const IP_MULTICAST_ALL = 49;
export const IPV6_UNICAST_HOPS = 16;
export const IPV6_MULTICAST_IF = 17;
export const IPV6_MULTICAST_HOPS = 18;
export const IPV6_MULTICAST_LOOP = 19;
export const IPV6_JOIN_GROUP = 20;
export const IPV6_MULTICAST_ALL = 29;
export const IPV6_RECVPKTINFO = 49;
export const IPV6_RECVHOPLIMIT = 51;
export const ETH_P_ARP = 0x0806;

/** What the kernel said about one received packet; which fields are set depends on the socket. */
export interface RawPacketInfo {
  /** Sender address bytes (IP sockets). */
  source?: Buffer;
  /** Destination address bytes (IP_PKTINFO / IPV6_RECVPKTINFO). */
  destination?: Buffer;
  ifindex?: number;
  /** TTL or hop limit (IPV6_RECVHOPLIMIT; IPv4 keeps it in the header instead). */
  hopLimit?: number;
  /** Sender MAC (AF_PACKET). */
  linkSource?: Buffer;
  /** PACKET_HOST, PACKET_BROADCAST, ... (AF_PACKET). */
  packetType?: number;
  /** The packet did not fit the receive buffer. */
  truncated?: number;
}

type Handle = { readonly __brand: 'rawsock' };
interface Addon {
  open(family: number, type: number, protocol: number): Handle;
  setIntOption(handle: Handle, level: number, name: number, value: number): void;
  getIntOption(handle: Handle, level: number, name: number): number;
  setBufferOption(handle: Handle, level: number, name: number, value: Buffer): void;
  bindLink(handle: Handle, ifindex: number, ethertype: number): void;
  sendIp(handle: Handle, data: Buffer, destination: Buffer, options: { ifindex?: number; hopLimit?: number; source?: Buffer }): void;
  sendLink(handle: Handle, frame: Buffer, ifindex: number, destinationMac: Buffer): void;
  startReading(handle: Handle, callback: (error: NodeJS.ErrnoException | null, data?: Buffer, info?: RawPacketInfo) => void): void;
  stopReading(handle: Handle): void;
  drain(handle: Handle): void;
  close(handle: Handle): void;
  ifIndex(name: string): number;
}

let addon: Addon | undefined;
function load(): Addon {
  if (!addon) {
    const require = createRequire(import.meta.url);
    try {
      // The same relative path from src/speaker/net and dist/speaker/net.
      addon = require('../../../native/rawsock/build/Release/rawsock.node') as Addon;
    } catch (err) {
      throw new Error(`the rawsock addon is not built (npm ci builds it; or run node native/rawsock/build.mjs): ${(err as Error).message}`, { cause: err });
    }
  }
  return addon;
}

/** The interface index of a device name; throws an ENODEV error if there is none. */
export function interfaceIndex(name: string): number {
  return load().ifIndex(name);
}

export interface IpSendOptions {
  ifindex?: number;
  hopLimit?: number;
  /** Source address (IP_PKTINFO / IPV6_PKTINFO); the kernel picks one otherwise. */
  source?: string;
}

/**
 * A raw IP or packet socket from the rawsock addon. Calls throw errors carrying the errno
 * name in `code` (EPERM without CAP_NET_RAW, ENODEV, ...).
 */
export class RawSocket {
  private constructor(
    private readonly handle: Handle,
    readonly family: number,
  ) {}

  /** `protocol` is the IP protocol (AF_INET, AF_INET6) or the ethertype (AF_PACKET). */
  static open(family: typeof AF_INET | typeof AF_INET6 | typeof AF_PACKET, protocol: number, type: number = SOCK_RAW): RawSocket {
    return new RawSocket(load().open(family, type, protocol), family);
  }

  setInt(level: number, name: number, value: number): void {
    load().setIntOption(this.handle, level, name, value);
  }

  getInt(level: number, name: number): number {
    return load().getIntOption(this.handle, level, name);
  }

  setBuffer(level: number, name: number, value: Buffer): void {
    load().setBufferOption(this.handle, level, name, value);
  }

  /** SO_BINDTODEVICE: send and receive only through this interface. */
  bindToDevice(name: string): void {
    this.setBuffer(SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(`${name}\0`));
  }

  /** AF_PACKET: receive only this ethertype from this interface. */
  bindLink(ifindex: number, ethertype: number): void {
    load().bindLink(this.handle, ifindex, ethertype);
  }

  sendIp(data: Buffer, destination: string, options: IpSendOptions = {}): void {
    const { source, ...rest } = options;
    load().sendIp(this.handle, data, ipToBytes(destination), source === undefined ? rest : { ...rest, source: ipToBytes(source) });
  }

  /** AF_PACKET: sends a whole Ethernet frame (header included) out of ifindex. */
  sendLink(frame: Buffer, ifindex: number, destinationMac: Buffer): void {
    load().sendLink(this.handle, frame, ifindex, destinationMac);
  }

  /** Calls onPacket for every packet received, from the event loop, until stopReading or close. */
  startReading(onPacket: (data: Buffer, info: RawPacketInfo) => void, onError: (error: NodeJS.ErrnoException) => void): void {
    load().startReading(this.handle, (error, data, info) => {
      if (error) onError(error);
      else if (data && info) onPacket(data, info);
    });
  }

  stopReading(): void {
    load().stopReading(this.handle);
  }

  /**
   * Delivers, now and synchronously, the packets already queued. Node runs expired timers
   * before it polls for I/O, so a timeout handler calls this to see what arrived meanwhile.
   */
  drain(): void {
    load().drain(this.handle);
  }

  close(): void {
    load().close(this.handle);
  }
}
