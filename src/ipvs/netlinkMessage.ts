import { align4, readI32, readU16, readU32, writeU16, writeU32 } from './attributes.js';
import { GENL_HDRLEN, NLMSG_HDRLEN, NlmsgType } from './constants.js';
import { IpvsDecodeError } from './errors.js';

/** One netlink message as it arrived: header fields and the payload after the 16-byte header. */
export interface NetlinkMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  payload: Buffer;
}

export interface GenlRequest {
  family: number;
  flags: number;
  seq: number;
  cmd: number;
  version: number;
  attributes: Buffer;
}

/** nlmsghdr + genlmsghdr + attributes, padded to 4 bytes so several can share one datagram. */
export function encodeGenlRequest(request: GenlRequest): Buffer {
  const length = NLMSG_HDRLEN + GENL_HDRLEN + request.attributes.length;
  const buffer = Buffer.alloc(align4(length));
  writeU32(buffer, length, 0);
  writeU16(buffer, request.family, 4);
  writeU16(buffer, request.flags, 6);
  writeU32(buffer, request.seq, 8);
  // pid 0: the kernel fills in the sender's port.
  buffer.writeUInt8(request.cmd, NLMSG_HDRLEN);
  buffer.writeUInt8(request.version, NLMSG_HDRLEN + 1);
  request.attributes.copy(buffer, NLMSG_HDRLEN + GENL_HDRLEN);
  return buffer;
}

/** Splits a received datagram into its messages, rejecting a length that is short or overruns the datagram. */
export function parseNetlinkMessages(datagram: Buffer): NetlinkMessage[] {
  const messages: NetlinkMessage[] = [];
  let offset = 0;
  while (offset < datagram.length) {
    const left = datagram.length - offset;
    if (left < NLMSG_HDRLEN) throw new IpvsDecodeError(`netlink datagram: ${left} trailing bytes are too short for a message header`);
    const length = readU32(datagram, offset);
    if (length < NLMSG_HDRLEN) throw new IpvsDecodeError(`netlink datagram: message length ${length} is less than its header`);
    if (length > left) throw new IpvsDecodeError(`netlink datagram: message claims ${length} bytes but only ${left} remain`);
    messages.push({
      type: readU16(datagram, offset + 4),
      flags: readU16(datagram, offset + 6),
      seq: readU32(datagram, offset + 8),
      pid: readU32(datagram, offset + 12),
      payload: datagram.subarray(offset + NLMSG_HDRLEN, offset + length),
    });
    offset += Math.min(align4(length), left);
  }
  return messages;
}

/** The genl command and the attributes that follow the 4-byte genl header. */
export function parseGenlPayload(payload: Buffer): { cmd: number; version: number; attributes: Buffer } {
  if (payload.length < GENL_HDRLEN) throw new IpvsDecodeError(`generic netlink message: ${payload.length} bytes are too short for the genl header`);
  return { cmd: payload.readUInt8(0), version: payload.readUInt8(1), attributes: payload.subarray(GENL_HDRLEN) };
}

/** The positive errno of an NLMSG_ERROR (0 for an ACK). */
export function parseErrorPayload(payload: Buffer): number {
  if (payload.length < 4) throw new IpvsDecodeError(`netlink error message: ${payload.length} bytes are too short for the error code`);
  return 0 - readI32(payload, 0);
}

/** The positive errno carried by NLMSG_DONE (0 when the dump succeeded; old kernels send no payload). */
export function parseDonePayload(payload: Buffer): number {
  return payload.length >= 4 ? 0 - readI32(payload, 0) : 0;
}

export const isError = (message: NetlinkMessage): boolean => message.type === NlmsgType.ERROR;
export const isDone = (message: NetlinkMessage): boolean => message.type === NlmsgType.DONE;
