import { ipToBytes, type IpFamily } from '../net/ipAddress.js';
import {
  AF_INET,
  AF_INET6,
  IP_ADD_MEMBERSHIP,
  IP_MULTICAST_ALL,
  IP_MULTICAST_IF,
  IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL,
  IP_PKTINFO,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_JOIN_GROUP,
  IPV6_MULTICAST_ALL,
  IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_IF,
  IPV6_MULTICAST_LOOP,
  IPV6_RECVHOPLIMIT,
  IPV6_RECVPKTINFO,
  IPV6_UNICAST_HOPS,
  RawSocket,
} from '../net/rawSocket.js';
import { bytesToIp } from '../net/ipAddress.js';
import { VRRP_MULTICAST_V4, VRRP_MULTICAST_V6, VRRP_PROTOCOL } from './packet.js';
import { parseIpv4Datagram, type InboundVrrp } from './receive.js';

export interface VrrpSocketOptions {
  family: IpFamily;
  interfaceName: string;
  ifindex: number;
  /** The address adverts are sent from: the interface's primary IPv4 address, or its IPv6 link-local address. */
  source: string;
  /** Unicast peers; empty means the VRRP multicast group. */
  peers: string[];
}

/**
 * One raw protocol-112 socket per interface and family, shared by every VRID there: TTL /
 * hop limit 255 on send, the received TTL / hop limit reported, bound to the interface.
 */
export class VrrpSocket {
  private constructor(
    private readonly socket: RawSocket,
    readonly options: VrrpSocketOptions,
  ) {}

  static open(options: VrrpSocketOptions): VrrpSocket {
    const socket = RawSocket.open(options.family === 4 ? AF_INET : AF_INET6, VRRP_PROTOCOL);
    try {
      socket.bindToDevice(options.interfaceName);
      if (options.family === 4) configureIpv4(socket, options);
      else configureIpv6(socket, options);
    } catch (err) {
      socket.close();
      throw err;
    }
    return new VrrpSocket(socket, options);
  }

  /** Where adverts go: the multicast group, or every unicast peer. */
  destinations(): string[] {
    if (this.options.peers.length > 0) return this.options.peers;
    return [this.options.family === 4 ? VRRP_MULTICAST_V4 : VRRP_MULTICAST_V6];
  }

  send(packet: Buffer, destination: string): void {
    this.socket.sendIp(packet, destination, { ifindex: this.options.ifindex, source: this.options.source, hopLimit: 255 });
  }

  /** Delivers every datagram; one that cannot even be parsed as IP goes to onError with the reason. */
  startReading(onPacket: (packet: InboundVrrp) => void, onError: (error: Error) => void): void {
    this.socket.startReading((data, info) => {
      if (this.options.family === 4) {
        let packet: InboundVrrp;
        try {
          packet = parseIpv4Datagram(data);
        } catch (err) {
          onError(err as Error);
          return;
        }
        onPacket(packet);
        return;
      }
      if (!info.source || !info.destination) {
        onError(new Error('IPv6 VRRP packet without source or IPV6_PKTINFO'));
        return;
      }
      onPacket({ family: 6, payload: data, source: bytesToIp(info.source), destination: bytesToIp(info.destination), hopLimit: info.hopLimit ?? 0 });
    }, onError);
  }

  /** Handles, synchronously, the packets already received (see RawSocket.drain). */
  drain(): void {
    this.socket.drain();
  }

  close(): void {
    this.socket.close();
  }
}

/** struct ip_mreqn: group, local address (any), ifindex. */
function ipMreqn(group: string, ifindex: number): Buffer {
  const request = Buffer.alloc(12);
  ipToBytes(group).copy(request, 0);
  request.writeInt32LE(ifindex, 8);
  return request;
}

function configureIpv4(socket: RawSocket, options: VrrpSocketOptions): void {
  socket.setInt(IPPROTO_IP, IP_TTL, 255);
  socket.setInt(IPPROTO_IP, IP_MULTICAST_TTL, 255);
  socket.setInt(IPPROTO_IP, IP_MULTICAST_LOOP, 0);
  // Without this, a raw socket also gets every group any other socket on the host joined.
  socket.setInt(IPPROTO_IP, IP_MULTICAST_ALL, 0);
  socket.setInt(IPPROTO_IP, IP_PKTINFO, 1);
  socket.setBuffer(IPPROTO_IP, IP_MULTICAST_IF, ipMreqn('0.0.0.0', options.ifindex));
  if (options.peers.length === 0) socket.setBuffer(IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreqn(VRRP_MULTICAST_V4, options.ifindex));
}

function configureIpv6(socket: RawSocket, options: VrrpSocketOptions): void {
  socket.setInt(IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255);
  socket.setInt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255);
  socket.setInt(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0);
  socket.setInt(IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0);
  socket.setInt(IPPROTO_IPV6, IPV6_MULTICAST_IF, options.ifindex);
  socket.setInt(IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
  socket.setInt(IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
  if (options.peers.length === 0) {
    // struct ipv6_mreq: group, ifindex.
    const request = Buffer.alloc(20);
    ipToBytes(VRRP_MULTICAST_V6).copy(request, 0);
    request.writeUInt32LE(options.ifindex, 16);
    socket.setBuffer(IPPROTO_IPV6, IPV6_JOIN_GROUP, request);
  }
}
