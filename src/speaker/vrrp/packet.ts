import { internetChecksum } from '../net/checksum.js';
import { bytesToIp, ipFamily, ipToBytes, type IpFamily } from '../net/ipAddress.js';

/** IP protocol number of VRRP. */
export const VRRP_PROTOCOL = 112;
export const VRRP_VERSION = 3;
export const VRRP_TYPE_ADVERTISEMENT = 1;
export const VRRP_MULTICAST_V4 = '224.0.0.18';
export const VRRP_MULTICAST_V6 = 'ff02::12';
const HEADER_LENGTH = 8;
const MAX_INTERVAL_CS = 0xfff;

/** The content of a VRRPv3 advertisement (RFC 5798 §5.2). */
export interface VrrpAdvert {
  vrid: number;
  priority: number;
  /** Max Adver Int, in centiseconds (12 bits). */
  maxAdvertIntervalCs: number;
  addresses: string[];
}

/**
 * How the IPv4 checksum is computed. RFC 5798 §5.2.8 covers a pseudo-header (keepalived's
 * default, FRR, Wireshark); RFC 9568 and some vendors use none. IPv6 always uses the pseudo-header.
 */
export type ChecksumForm = 'pseudo-header' | 'plain';

/** The IP header fields the checksum and receive checks need. */
export interface VrrpEnvelope {
  family: IpFamily;
  source: string;
  destination: string;
}

export type VrrpPacketErrorReason = 'truncated' | 'version' | 'type' | 'vrid' | 'interval' | 'address-count' | 'address-family' | 'checksum';

/** A VRRP packet that cannot be decoded or encoded; `reason` says which check failed. */
export class VrrpPacketError extends Error {
  override readonly name = 'VrrpPacketError';
  constructor(
    readonly reason: VrrpPacketErrorReason,
    message: string,
  ) {
    super(message);
  }
}

function pseudoHeader(envelope: VrrpEnvelope, length: number): Buffer {
  const source = ipToBytes(envelope.source);
  const destination = ipToBytes(envelope.destination);
  if (envelope.family === 4) {
    const tail = Buffer.alloc(4);
    tail.writeUInt8(VRRP_PROTOCOL, 1);
    tail.writeUInt16BE(length, 2);
    return Buffer.concat([source, destination, tail]);
  }
  const tail = Buffer.alloc(8);
  tail.writeUInt32BE(length, 0);
  tail.writeUInt8(VRRP_PROTOCOL, 7);
  return Buffer.concat([source, destination, tail]);
}

function checksumOf(packet: Buffer, envelope: VrrpEnvelope, form: ChecksumForm): number {
  if (envelope.family === 4 && form === 'plain') return internetChecksum(packet);
  return internetChecksum(pseudoHeader(envelope, packet.length), packet);
}

/** Builds an advertisement with its checksum filled in. */
export function encodeAdvert(advert: VrrpAdvert, envelope: VrrpEnvelope, form: ChecksumForm = 'pseudo-header'): Buffer {
  const addressLength = envelope.family === 4 ? 4 : 16;
  if (!Number.isInteger(advert.vrid) || advert.vrid < 1 || advert.vrid > 255) throw new VrrpPacketError('vrid', `VRID ${advert.vrid} is outside 1-255`);
  if (!Number.isInteger(advert.maxAdvertIntervalCs) || advert.maxAdvertIntervalCs < 1 || advert.maxAdvertIntervalCs > MAX_INTERVAL_CS)
    throw new VrrpPacketError('interval', `advertisement interval ${advert.maxAdvertIntervalCs} cs is outside 1-${MAX_INTERVAL_CS}`);
  if (advert.addresses.length > 255) throw new VrrpPacketError('address-count', `${advert.addresses.length} addresses do not fit in one advertisement`);
  const packet = Buffer.alloc(HEADER_LENGTH + advert.addresses.length * addressLength);
  packet.writeUInt8((VRRP_VERSION << 4) | VRRP_TYPE_ADVERTISEMENT, 0);
  packet.writeUInt8(advert.vrid, 1);
  packet.writeUInt8(advert.priority, 2);
  packet.writeUInt8(advert.addresses.length, 3);
  packet.writeUInt16BE(advert.maxAdvertIntervalCs, 4);
  advert.addresses.forEach((address, i) => {
    if (ipFamily(address) !== envelope.family) throw new VrrpPacketError('address-family', `${address} is not an IPv${envelope.family} address`);
    ipToBytes(address).copy(packet, HEADER_LENGTH + i * addressLength);
  });
  packet.writeUInt16BE(checksumOf(packet, envelope, form), 6);
  return packet;
}

export interface DecodedAdvert {
  advert: VrrpAdvert;
  /** The checksum form the packet was valid under (IPv4 accepts both). */
  checksumForm: ChecksumForm;
}

/** Parses and checks an advertisement (the VRRP part, without the IP header); throws VrrpPacketError. */
export function decodeAdvert(packet: Buffer, envelope: VrrpEnvelope): DecodedAdvert {
  if (packet.length < HEADER_LENGTH) throw new VrrpPacketError('truncated', `${packet.length} bytes is shorter than a VRRP header`);
  const version = packet.readUInt8(0) >> 4;
  const type = packet.readUInt8(0) & 0xf;
  if (version !== VRRP_VERSION) throw new VrrpPacketError('version', `VRRP version ${version}, expected ${VRRP_VERSION}`);
  if (type !== VRRP_TYPE_ADVERTISEMENT) throw new VrrpPacketError('type', `VRRP type ${type} is not an advertisement`);
  const count = packet.readUInt8(3);
  const addressLength = envelope.family === 4 ? 4 : 16;
  const length = HEADER_LENGTH + count * addressLength;
  if (packet.length < length) throw new VrrpPacketError('truncated', `${packet.length} bytes cannot hold ${count} IPv${envelope.family} addresses`);
  const body = packet.subarray(0, length);
  let checksumForm: ChecksumForm;
  if (checksumOf(body, envelope, 'pseudo-header') === 0) checksumForm = 'pseudo-header';
  else if (envelope.family === 4 && checksumOf(body, envelope, 'plain') === 0) checksumForm = 'plain';
  else throw new VrrpPacketError('checksum', `bad checksum 0x${packet.readUInt16BE(6).toString(16)} from ${envelope.source}`);
  const vrid = packet.readUInt8(1);
  if (vrid === 0) throw new VrrpPacketError('vrid', 'VRID 0 is reserved');
  const maxAdvertIntervalCs = packet.readUInt16BE(4) & MAX_INTERVAL_CS;
  if (maxAdvertIntervalCs === 0) throw new VrrpPacketError('interval', 'advertisement interval 0');
  const addresses = Array.from({ length: count }, (_, i) => bytesToIp(body.subarray(HEADER_LENGTH + i * addressLength, HEADER_LENGTH + (i + 1) * addressLength)));
  return { advert: { vrid, priority: packet.readUInt8(2), maxAdvertIntervalCs, addresses }, checksumForm };
}
