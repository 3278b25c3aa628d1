import { align4, readI32, readU16, readU32, writeU16, writeU32 } from './attributes.js';
import { GENL_HDRLEN, NLMSG_HDRLEN } from './constants.js';
import { IpvsDecodeError } from './errors.js';

export interface GenlHeader {
  family: number;
  flags: number;
  seq: number;
  cmd: number;
  version: number;
  /** Bytes of attributes that follow (a multiple of 4, as attributes are padded). */
  attributesLength: number;
}

/** nlmsghdr + genlmsghdr; the attributes follow in the same datagram (sent as a second iovec, not copied). */
export function encodeGenlHeader(header: GenlHeader): Buffer {
  const buffer = Buffer.allocUnsafe(NLMSG_HDRLEN + GENL_HDRLEN);
  writeU32(buffer, NLMSG_HDRLEN + GENL_HDRLEN + header.attributesLength, 0);
  writeU16(buffer, header.family, 4);
  writeU16(buffer, header.flags, 6);
  writeU32(buffer, header.seq, 8);
  writeU32(buffer, 0, 12); // pid 0: the kernel fills in the sender's port
  buffer.writeUInt8(header.cmd, NLMSG_HDRLEN);
  buffer.writeUInt8(header.version, NLMSG_HDRLEN + 1);
  writeU16(buffer, 0, NLMSG_HDRLEN + 2);
  return buffer;
}

/** Called per message of a datagram with its header fields and where its payload lies. */
export type MessageVisitor = (type: number, flags: number, seq: number, payloadStart: number, payloadEnd: number) => void;

/**
 * Walks the messages of a received datagram without copying them, rejecting a length that
 * is short or overruns the datagram (before visiting anything).
 */
export function forEachMessage(datagram: Buffer, visit: MessageVisitor): void {
  const starts: number[] = [];
  let offset = 0;
  while (offset < datagram.length) {
    const left = datagram.length - offset;
    if (left < NLMSG_HDRLEN) throw new IpvsDecodeError(`netlink datagram: ${left} trailing bytes are too short for a message header`);
    const length = readU32(datagram, offset);
    if (length < NLMSG_HDRLEN) throw new IpvsDecodeError(`netlink datagram: message length ${length} is less than its header`);
    if (length > left) throw new IpvsDecodeError(`netlink datagram: message claims ${length} bytes but only ${left} remain`);
    starts.push(offset);
    offset += Math.min(align4(length), left);
  }
  for (const start of starts) {
    visit(readU16(datagram, start + 4), readU16(datagram, start + 6), readU32(datagram, start + 8), start + NLMSG_HDRLEN, start + readU32(datagram, start));
  }
}

/** The genl command and the attributes after the 4-byte genl header of the payload in datagram[start, end). */
export function parseGenlPayload(datagram: Buffer, start: number, end: number): { cmd: number; attributes: Buffer } {
  if (end - start < GENL_HDRLEN) throw new IpvsDecodeError(`generic netlink message: ${end - start} bytes are too short for the genl header`);
  return { cmd: datagram.readUInt8(start), attributes: datagram.subarray(start + GENL_HDRLEN, end) };
}

/** The positive errno of an NLMSG_ERROR payload (0 for an ACK). */
export function parseErrorPayload(datagram: Buffer, start: number, end: number): number {
  if (end - start < 4) throw new IpvsDecodeError(`netlink error message: ${end - start} bytes are too short for the error code`);
  return 0 - readI32(datagram, start);
}

/** The positive errno of an NLMSG_DONE payload (0 when the dump succeeded; old kernels send no payload). */
export function parseDonePayload(datagram: Buffer, start: number, end: number): number {
  return end - start >= 4 ? 0 - readI32(datagram, start) : 0;
}
