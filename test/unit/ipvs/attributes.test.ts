import { describe, expect, it } from 'vitest';
import { AttributeSet, AttributeWriter } from '../../../src/ipvs/attributes.js';
import { IpvsDecodeError } from '../../../src/ipvs/errors.js';

const hex = (buffer: Buffer): string => buffer.toString('hex');

describe('AttributeWriter', () => {
  it('writes each width host-endian (little-endian here) with a 4-byte header and pads to 4 bytes', () => {
    expect(hex(new AttributeWriter().u8(1, 0xab).toBuffer())).toBe('05000100ab000000');
    expect(hex(new AttributeWriter().u16(2, 0x1234).toBuffer())).toBe('060002003412' + '0000');
    expect(hex(new AttributeWriter().u32(3, 0x12345678).toBuffer())).toBe('0800030078563412');
    expect(hex(new AttributeWriter().u64(4, 0x0102030405060708n).toBuffer())).toBe('0c0004000807060504030201');
  });

  it('writes the BE variants big-endian', () => {
    expect(hex(new AttributeWriter().u16be(4, 80).toBuffer())).toBe('0600040000500000');
    expect(hex(new AttributeWriter().u32be(9, 0xffffff00).toBuffer())).toBe('08000900ffffff00');
  });

  it('NUL-terminates strings and counts the NUL in nla_len but not the padding', () => {
    expect(hex(new AttributeWriter().string(6, 'mh').toBuffer())).toBe('070006006d680000');
    expect(hex(new AttributeWriter().string(6, 'wrr').toBuffer())).toBe('0800060077727200');
  });

  it('sets a nested length that covers its children and their padding', () => {
    const buffer = new AttributeWriter().nested(1, (w) => w.u8(2, 1).u16(3, 2)).toBuffer();
    expect(buffer.readUInt16LE(0)).toBe(4 + 8 + 8);
    expect(buffer.length).toBe(20);
  });

  it('grows past its initial buffer', () => {
    const w = new AttributeWriter();
    for (let i = 0; i < 200; i++) w.u32(1, i);
    const buffer = w.toBuffer();
    expect(buffer.length).toBe(200 * 8);
    expect(buffer.readUInt32LE(199 * 8 + 4)).toBe(199);
  });
});

describe('AttributeSet', () => {
  it('reads back every kind of value the writer wrote, nested too', () => {
    const buffer = new AttributeWriter()
      .u8(1, 7)
      .u16(2, 65535)
      .u16be(3, 8080)
      .u32(4, 0xdeadbeef)
      .u32be(5, 0xffff0000)
      .u64(6, 2n ** 64n - 1n)
      .string(7, 'eth0')
      .bytes(8, Buffer.from([1, 2, 3]))
      .nested(9, (w) => w.u32(1, 42))
      .toBuffer();
    const set = AttributeSet.parse(buffer, 'test');
    expect(set.u8(1, 'A')).toBe(7);
    expect(set.u16(2, 'B')).toBe(65535);
    expect(set.u16be(3, 'C')).toBe(8080);
    expect(set.u32(4, 'D')).toBe(0xdeadbeef);
    expect(set.u32be(5, 'E')).toBe(0xffff0000);
    expect(set.u64(6, 'F')).toBe(2n ** 64n - 1n);
    expect(set.string(7, 'G')).toBe('eth0');
    expect([...set.bytes(8, 'H')]).toEqual([1, 2, 3]);
    expect(set.nested(9, 'I').u32(1, 'J')).toBe(42);
    expect(set.types()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('ignores the NESTED and NET_BYTEORDER flag bits of the type', () => {
    const buffer = new AttributeWriter().u32(0x8000 | 0x4000 | 5, 1).toBuffer();
    expect(AttributeSet.parse(buffer, 'test').u32(5, 'X')).toBe(1);
  });

  it('keeps the last of duplicate attributes, as the kernel does', () => {
    const buffer = new AttributeWriter().u32(1, 1).u32(1, 2).toBuffer();
    expect(AttributeSet.parse(buffer, 'test').u32(1, 'X')).toBe(2);
  });

  it('accepts a final attribute without its trailing padding', () => {
    const buffer = new AttributeWriter().u8(1, 9).toBuffer().subarray(0, 5);
    expect(AttributeSet.parse(buffer, 'test').u8(1, 'X')).toBe(9);
  });

  it('parses an empty buffer as no attributes', () => {
    expect(AttributeSet.parse(Buffer.alloc(0), 'test').types()).toEqual([]);
  });

  it.each([
    ['fewer bytes than a header', Buffer.from([8, 0]), /2 trailing bytes are too short for an attribute header/],
    ['a length below the header size', Buffer.from([2, 0, 1, 0]), /attribute 1 has length 2, less than its header/],
    ['a length past the end', Buffer.from([12, 0, 1, 0, 0, 0, 0, 0]), /attribute 1 claims 12 bytes but only 8 remain/],
  ])('rejects %s with a clear error', (_case, buffer, message) => {
    expect(() => AttributeSet.parse(buffer, 'service')).toThrow(IpvsDecodeError);
    expect(() => AttributeSet.parse(buffer, 'service')).toThrow(message);
  });

  it('rejects a value of the wrong size, naming the container and attribute', () => {
    const set = AttributeSet.parse(new AttributeWriter().u8(4, 1).toBuffer(), 'service');
    expect(() => set.u16be(4, 'PORT')).toThrow('service attribute PORT: expected 2 bytes, got 1');
    expect(() => set.u32(4, 'X')).toThrow('expected 4 bytes, got 1');
    expect(() => set.u64(4, 'X')).toThrow('expected 8 bytes, got 1');
  });

  it('names a missing required attribute', () => {
    const set = AttributeSet.parse(Buffer.alloc(0), 'destination');
    expect(() => set.u32(4, 'WEIGHT')).toThrow('destination: attribute WEIGHT is missing');
    expect(set.optU32(4, 'WEIGHT')).toBeUndefined();
  });

  it('rejects a string without its NUL', () => {
    const set = AttributeSet.parse(new AttributeWriter().bytes(6, Buffer.from('rr')).toBuffer(), 'service');
    expect(() => set.string(6, 'SCHED_NAME')).toThrow('service attribute SCHED_NAME: string is not NUL-terminated');
  });

  it('rejects a malformed nested attribute with the path in the message', () => {
    const set = AttributeSet.parse(new AttributeWriter().bytes(1, Buffer.from([9, 0, 1, 0])).toBuffer(), 'message');
    expect(() => set.nested(1, 'SERVICE')).toThrow('message SERVICE: attribute 1 claims 9 bytes but only 4 remain');
  });
});
