import { bytesToIp, type IpFamily } from '../net/ipAddress.js';
import { decodeAdvert, VRRP_PROTOCOL, VrrpPacketError, type ChecksumForm, type VrrpAdvert } from './packet.js';

/** A VRRP datagram as a raw socket hands it over: the VRRP part plus the IP header fields (addresses in canonical form). */
export interface InboundVrrp {
  family: IpFamily;
  payload: Buffer;
  source: string;
  destination: string;
  /** TTL (IPv4) or hop limit (IPv6) the packet arrived with. */
  hopLimit: number;
}

/** Splits a datagram from an IPv4 raw socket (which keeps the IP header) into header fields and payload. */
export function parseIpv4Datagram(datagram: Buffer): InboundVrrp {
  if (datagram.length < 20) throw new VrrpPacketError('truncated', `${datagram.length} bytes is shorter than an IPv4 header`);
  const headerLength = (datagram.readUInt8(0) & 0xf) * 4;
  const totalLength = datagram.readUInt16BE(2);
  if (datagram.readUInt8(0) >> 4 !== 4 || headerLength < 20 || totalLength < headerLength || datagram.length < totalLength)
    throw new VrrpPacketError('truncated', `malformed IPv4 header (length ${datagram.length}, header ${headerLength}, total ${totalLength})`);
  if (datagram.readUInt8(9) !== VRRP_PROTOCOL) throw new VrrpPacketError('type', `IP protocol ${datagram.readUInt8(9)} is not VRRP`);
  return {
    family: 4,
    payload: datagram.subarray(headerLength, totalLength),
    source: bytesToIp(datagram.subarray(12, 16)),
    destination: bytesToIp(datagram.subarray(16, 20)),
    hopLimit: datagram.readUInt8(8),
  };
}

/** What the receiver knows about one configured virtual router. */
export interface ReceiverInstance {
  /** In canonical form. */
  addresses: string[];
}

export interface ReceiveFilter {
  family: IpFamily;
  instances: ReadonlyMap<number, ReceiverInstance>;
  /** Our own source addresses: multicast loopback is off, but a looped packet must still be dropped. */
  ownAddresses: ReadonlySet<string>;
  /** With unicast peers, only these sources are accepted (keepalived's check_unicast_src). */
  allowedSources?: ReadonlySet<string>;
}

export type RejectReason = VrrpPacketError['reason'] | 'hop-limit' | 'family' | 'unknown-vrid' | 'own-packet' | 'unknown-source';

export type ReceiveVerdict =
  | { accepted: true; advert: VrrpAdvert; checksumForm: ChecksumForm; source: string; addressMismatch: boolean }
  | { accepted: false; reason: RejectReason; message: string };

function reject(reason: RejectReason, message: string): ReceiveVerdict {
  return { accepted: false, reason, message };
}

/** The receive checks of RFC 5798 §7.1, in its order; a rejected packet changes nothing. */
export function checkInbound(packet: InboundVrrp, filter: ReceiveFilter): ReceiveVerdict {
  if (packet.family !== filter.family) return reject('family', `IPv${packet.family} packet on an IPv${filter.family} receiver`);
  if (packet.hopLimit !== 255) return reject('hop-limit', `${packet.family === 4 ? 'TTL' : 'hop limit'} ${packet.hopLimit} from ${packet.source}, expected 255`);
  const source = packet.source;
  if (filter.ownAddresses.has(source)) return reject('own-packet', `own advertisement from ${source}`);
  if (filter.allowedSources && !filter.allowedSources.has(source)) return reject('unknown-source', `${source} is not a configured unicast peer`);
  let decoded;
  try {
    decoded = decodeAdvert(packet.payload, { family: packet.family, source, destination: packet.destination });
  } catch (err) {
    if (err instanceof VrrpPacketError) return reject(err.reason, err.message);
    throw err;
  }
  const instance = filter.instances.get(decoded.advert.vrid);
  if (!instance) return reject('unknown-vrid', `VRID ${decoded.advert.vrid} from ${source} is not configured here`);
  const advertised = new Set(decoded.advert.addresses);
  const addressMismatch = advertised.size !== instance.addresses.length || instance.addresses.some((a) => !advertised.has(a));
  return { accepted: true, advert: decoded.advert, checksumForm: decoded.checksumForm, source, addressMismatch };
}
