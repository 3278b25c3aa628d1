import type { Logger } from '../../log.js';
import { ipFamily } from '../net/ipAddress.js';
import { AF_INET6, AF_PACKET, IPPROTO_ICMPV6, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, RawSocket } from '../net/rawSocket.js';
import { ALL_NODES, announceOffsets, BROADCAST_MAC, gratuitousArpFrame, unsolicitedNeighborAdvert, type AnnounceSchedule } from './announceFrames.js';

const ICMP6_FILTER = 1;

/**
 * Sends gratuitous ARP (AF_PACKET) and unsolicited NA (ICMPv6 raw socket) for a group of VIPs
 * on one interface, on a schedule that a later cancel (the group left master) stops.
 */
export class Announcer {
  private readonly timers = new Map<string, NodeJS.Timeout[]>();

  private constructor(
    private readonly arp: RawSocket,
    private readonly icmp6: RawSocket,
    private readonly ifindex: number,
    private readonly mac: Buffer,
    private readonly schedule: AnnounceSchedule,
    private readonly log: Logger,
    private readonly sent: (address: string) => void,
  ) {}

  /** `sent` hears of every gratuitous ARP or NA that went out (metrics). */
  static open(interfaceName: string, ifindex: number, mac: Buffer, schedule: AnnounceSchedule, log: Logger, sent: (address: string) => void = () => undefined): Announcer {
    // Protocol 0: a send-only packet socket that receives nothing.
    const arp = RawSocket.open(AF_PACKET, 0);
    const icmp6 = RawSocket.open(AF_INET6, IPPROTO_ICMPV6);
    try {
      icmp6.bindToDevice(interfaceName);
      icmp6.setInt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255);
      // Block every ICMPv6 type on receive: this socket only sends.
      icmp6.setBuffer(IPPROTO_ICMPV6, ICMP6_FILTER, Buffer.alloc(32, 0xff));
    } catch (err) {
      arp.close();
      icmp6.close();
      throw err;
    }
    return new Announcer(arp, icmp6, ifindex, mac, schedule, log, sent);
  }

  /**
   * Starts (or restarts) the announcement schedule of a group. The first message goes out now,
   * not from a timer: the work a takeover queues (moving addresses) must not delay it.
   */
  announce(group: string, addresses: string[]): void {
    this.cancel(group);
    const [first, ...rest] = announceOffsets(this.schedule);
    if (first !== undefined) this.sendAll(group, addresses);
    this.timers.set(
      group,
      rest.map((offset) => setTimeout(() => this.sendAll(group, addresses), offset - (first ?? 0))),
    );
  }

  cancel(group: string): void {
    for (const timer of this.timers.get(group) ?? []) clearTimeout(timer);
    this.timers.delete(group);
  }

  close(): void {
    for (const group of [...this.timers.keys()]) this.cancel(group);
    this.arp.close();
    this.icmp6.close();
  }

  private sendAll(group: string, addresses: string[]): void {
    for (const address of addresses) {
      try {
        if (ipFamily(address) === 4) this.arp.sendLink(gratuitousArpFrame(this.mac, address), this.ifindex, BROADCAST_MAC);
        else this.icmp6.sendIp(unsolicitedNeighborAdvert(this.mac, address), ALL_NODES, { ifindex: this.ifindex, hopLimit: 255 });
        this.sent(address);
      } catch (err) {
        this.log.warn({ event: 'announce-failed', group, address, err }, `cannot announce ${address}`);
      }
    }
  }
}
