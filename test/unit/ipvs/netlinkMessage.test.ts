import { describe, expect, it } from 'vitest';
import { IpvsDecodeError } from '../../../src/ipvs/errors.js';
import { encodeGenlRequest, parseDonePayload, parseErrorPayload, parseGenlPayload, parseNetlinkMessages } from '../../../src/ipvs/netlinkMessage.js';

function message(type: number, flags: number, seq: number, payload: Buffer): Buffer {
  const length = 16 + payload.length;
  const buffer = Buffer.alloc((length + 3) & ~3);
  buffer.writeUInt32LE(length, 0);
  buffer.writeUInt16LE(type, 4);
  buffer.writeUInt16LE(flags, 6);
  buffer.writeUInt32LE(seq, 8);
  buffer.writeUInt32LE(4242, 12);
  payload.copy(buffer, 16);
  return buffer;
}

const errorPayload = (errno: number): Buffer => {
  const b = Buffer.alloc(20);
  b.writeInt32LE(-errno, 0);
  return b;
};

describe('encodeGenlRequest', () => {
  it('lays out nlmsghdr and genlmsghdr host-endian, pid 0, padded to 4 bytes', () => {
    const buffer = encodeGenlRequest({ family: 0x1f, flags: 0x305, seq: 0x01020304, cmd: 4, version: 1, attributes: Buffer.from([1, 2, 3, 4, 5]) });
    expect(buffer.length).toBe(28);
    expect(buffer.readUInt32LE(0)).toBe(25);
    expect(buffer.readUInt16LE(4)).toBe(0x1f);
    expect(buffer.readUInt16LE(6)).toBe(0x305);
    expect(buffer.readUInt32LE(8)).toBe(0x01020304);
    expect(buffer.readUInt32LE(12)).toBe(0);
    expect([...buffer.subarray(16, 20)]).toEqual([4, 1, 0, 0]);
    expect([...buffer.subarray(20)]).toEqual([1, 2, 3, 4, 5, 0, 0, 0]);
  });
});

describe('parseNetlinkMessages', () => {
  it('splits a datagram of several messages and keeps their header fields', () => {
    const datagram = Buffer.concat([message(0x1f, 2, 7, Buffer.from([14, 1, 0, 0, 9])), message(3, 2, 7, Buffer.alloc(4))]);
    const messages = parseNetlinkMessages(datagram);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatchObject({ type: 0x1f, flags: 2, seq: 7, pid: 4242 });
    expect([...(messages[0]?.payload ?? [])]).toEqual([14, 1, 0, 0, 9]);
    expect(messages[1]).toMatchObject({ type: 3, seq: 7 });
  });

  it.each([
    ['a short header', Buffer.alloc(10), /10 trailing bytes are too short/],
    ['a length below the header', Buffer.from([8, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), /message length 8 is less than its header/],
    ['a length past the datagram', Buffer.from([40, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), /claims 40 bytes but only 16 remain/],
  ])('rejects %s', (_case, datagram, error) => {
    expect(() => parseNetlinkMessages(datagram)).toThrow(IpvsDecodeError);
    expect(() => parseNetlinkMessages(datagram)).toThrow(error);
  });
});

describe('payload helpers', () => {
  it('reads the genl header and the attributes after it', () => {
    const { cmd, version, attributes } = parseGenlPayload(Buffer.from([5, 1, 0, 0, 8, 0, 1, 0]));
    expect(cmd).toBe(5);
    expect(version).toBe(1);
    expect(attributes.length).toBe(4);
    expect(() => parseGenlPayload(Buffer.from([5, 1]))).toThrow('too short for the genl header');
  });

  it('turns NLMSG_ERROR into a positive errno, 0 for an ACK', () => {
    expect(parseErrorPayload(errorPayload(17))).toBe(17);
    expect(parseErrorPayload(errorPayload(0))).toBe(0);
    expect(() => parseErrorPayload(Buffer.alloc(2))).toThrow('too short for the error code');
  });

  it('reads the errno of NLMSG_DONE, and treats an empty DONE as success', () => {
    expect(parseDonePayload(errorPayload(95).subarray(0, 4))).toBe(95);
    expect(parseDonePayload(Buffer.alloc(4))).toBe(0);
    expect(parseDonePayload(Buffer.alloc(0))).toBe(0);
  });
});
