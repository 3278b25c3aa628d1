import { describe, expect, it } from 'vitest';
import { IpvsDecodeError } from '../../../src/ipvs/errors.js';
import { encodeGenlHeader, forEachMessage, parseDonePayload, parseErrorPayload, parseGenlPayload } from '../../../src/ipvs/netlinkMessage.js';

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

describe('encodeGenlHeader', () => {
  it('lays out nlmsghdr and genlmsghdr host-endian, pid 0, with a length that counts the attributes', () => {
    const buffer = encodeGenlHeader({ family: 0x1f, flags: 0x305, seq: 0x01020304, cmd: 4, version: 1, attributesLength: 8 });
    expect(buffer.length).toBe(20);
    expect(buffer.readUInt32LE(0)).toBe(28);
    expect(buffer.readUInt16LE(4)).toBe(0x1f);
    expect(buffer.readUInt16LE(6)).toBe(0x305);
    expect(buffer.readUInt32LE(8)).toBe(0x01020304);
    expect(buffer.readUInt32LE(12)).toBe(0);
    expect([...buffer.subarray(16, 20)]).toEqual([4, 1, 0, 0]);
  });
});

interface Seen {
  type: number;
  flags: number;
  seq: number;
  payload: number[];
}

function collect(datagram: Buffer): Seen[] {
  const seen: Seen[] = [];
  forEachMessage(datagram, (type, flags, seq, start, end) => seen.push({ type, flags, seq, payload: [...datagram.subarray(start, end)] }));
  return seen;
}

const whole = (buffer: Buffer): [Buffer, number, number] => [buffer, 0, buffer.length];

describe('forEachMessage', () => {
  it('walks every message of a datagram with its header fields and payload', () => {
    const datagram = Buffer.concat([message(0x1f, 2, 7, Buffer.from([14, 1, 0, 0, 9])), message(3, 2, 7, Buffer.alloc(4))]);
    expect(collect(datagram)).toEqual([
      { type: 0x1f, flags: 2, seq: 7, payload: [14, 1, 0, 0, 9] },
      { type: 3, flags: 2, seq: 7, payload: [0, 0, 0, 0] },
    ]);
  });

  it.each([
    ['a short header', Buffer.alloc(10), /10 trailing bytes are too short/],
    ['a length below the header', Buffer.from([8, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), /message length 8 is less than its header/],
    ['a length past the datagram', Buffer.from([40, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), /claims 40 bytes but only 16 remain/],
  ])('rejects %s', (_case, datagram, error) => {
    expect(() => collect(datagram)).toThrow(IpvsDecodeError);
    expect(() => collect(datagram)).toThrow(error);
  });

  it('visits nothing of a datagram whose last message is malformed', () => {
    const datagram = Buffer.concat([message(3, 2, 7, Buffer.alloc(4)), Buffer.alloc(6)]);
    const seen: number[] = [];
    expect(() => forEachMessage(datagram, (_t, _f, seq) => seen.push(seq))).toThrow(IpvsDecodeError);
    expect(seen).toEqual([]);
  });
});

describe('payload helpers', () => {
  it('reads the genl command and the attributes after the genl header', () => {
    const datagram = Buffer.from([0xaa, 5, 1, 0, 0, 8, 0, 1, 0]);
    const { cmd, attributes } = parseGenlPayload(datagram, 1, datagram.length);
    expect(cmd).toBe(5);
    expect([...attributes]).toEqual([8, 0, 1, 0]);
    expect(() => parseGenlPayload(datagram, 1, 3)).toThrow('too short for the genl header');
  });

  it('turns NLMSG_ERROR into a positive errno, 0 for an ACK', () => {
    expect(parseErrorPayload(...whole(errorPayload(17)))).toBe(17);
    expect(parseErrorPayload(...whole(errorPayload(0)))).toBe(0);
    expect(() => parseErrorPayload(...whole(Buffer.alloc(2)))).toThrow('too short for the error code');
  });

  it('reads the errno of NLMSG_DONE, and treats an empty DONE as success', () => {
    expect(parseDonePayload(...whole(errorPayload(95).subarray(0, 4)))).toBe(95);
    expect(parseDonePayload(...whole(Buffer.alloc(4)))).toBe(0);
    expect(parseDonePayload(...whole(Buffer.alloc(0)))).toBe(0);
  });
});
