import { endianness } from 'node:os';
import { NLA_HDRLEN, NLA_TYPE_MASK } from './constants.js';
import { IpvsDecodeError } from './errors.js';

// Netlink numbers are in the host's byte order; only the fields IPVS defines as __be16/__be32 are big-endian.
const littleEndian = endianness() === 'LE';

export const align4 = (n: number): number => (n + 3) & ~3;

export function readU16(buffer: Buffer, offset: number): number {
  return littleEndian ? buffer.readUInt16LE(offset) : buffer.readUInt16BE(offset);
}
export function readU32(buffer: Buffer, offset: number): number {
  return littleEndian ? buffer.readUInt32LE(offset) : buffer.readUInt32BE(offset);
}
export function readI32(buffer: Buffer, offset: number): number {
  return littleEndian ? buffer.readInt32LE(offset) : buffer.readInt32BE(offset);
}
export function writeU16(buffer: Buffer, value: number, offset: number): void {
  if (littleEndian) buffer.writeUInt16LE(value, offset);
  else buffer.writeUInt16BE(value, offset);
}
export function writeU32(buffer: Buffer, value: number, offset: number): void {
  if (littleEndian) buffer.writeUInt32LE(value, offset);
  else buffer.writeUInt32BE(value, offset);
}

/** Builds a run of netlink attributes into one growing buffer. Numbers are host-endian unless the method says BE. */
export class AttributeWriter {
  private buffer = Buffer.alloc(256);
  private length = 0;

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  /** Reserves an attribute and returns where its payload goes (reserving may replace this.buffer, so read it after). */
  private header(type: number, payloadLength: number): number {
    const total = align4(NLA_HDRLEN + payloadLength);
    this.reserve(total);
    const at = this.length;
    this.buffer.fill(0, at, at + total);
    writeU16(this.buffer, NLA_HDRLEN + payloadLength, at);
    writeU16(this.buffer, type, at + 2);
    this.length += total;
    return at + NLA_HDRLEN;
  }

  u8(type: number, value: number): this {
    const at = this.header(type, 1);
    this.buffer.writeUInt8(value, at);
    return this;
  }

  u16(type: number, value: number): this {
    const at = this.header(type, 2);
    writeU16(this.buffer, value, at);
    return this;
  }

  u16be(type: number, value: number): this {
    const at = this.header(type, 2);
    this.buffer.writeUInt16BE(value, at);
    return this;
  }

  u32(type: number, value: number): this {
    const at = this.header(type, 4);
    writeU32(this.buffer, value, at);
    return this;
  }

  u32be(type: number, value: number): this {
    const at = this.header(type, 4);
    this.buffer.writeUInt32BE(value, at);
    return this;
  }

  u64(type: number, value: bigint): this {
    const at = this.header(type, 8);
    if (littleEndian) this.buffer.writeBigUInt64LE(value, at);
    else this.buffer.writeBigUInt64BE(value, at);
    return this;
  }

  bytes(type: number, value: Uint8Array): this {
    const at = this.header(type, value.length);
    this.buffer.set(value, at);
    return this;
  }

  /** A NUL-terminated string, as NLA_NUL_STRING wants. */
  string(type: number, value: string): this {
    const encoded = Buffer.from(value, 'utf8');
    const at = this.header(type, encoded.length + 1);
    this.buffer.set(encoded, at);
    return this;
  }

  /** A nested attribute whose content `fill` writes. NLA_F_NESTED is left off, like moby and libnl-1 (the kernel does not require it). */
  nested(type: number, fill: (writer: AttributeWriter) => void): this {
    const start = this.length;
    this.header(type, 0);
    fill(this);
    writeU16(this.buffer, this.length - start, start);
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.length));
  }
}

/** Attributes of one level by type (the last one wins on duplicates, as in the kernel's nla_parse). */
export class AttributeSet {
  private constructor(
    private readonly values: Map<number, Buffer>,
    /** Names the containing object in error messages, e.g. "service". */
    readonly context: string,
  ) {}

  /** Parses a run of attributes, rejecting any that is short or overruns the buffer. */
  static parse(buffer: Buffer, context: string): AttributeSet {
    const values = new Map<number, Buffer>();
    let offset = 0;
    while (offset < buffer.length) {
      const left = buffer.length - offset;
      if (left < NLA_HDRLEN) throw new IpvsDecodeError(`${context}: ${left} trailing bytes are too short for an attribute header`);
      const length = readU16(buffer, offset);
      const type = readU16(buffer, offset + 2) & NLA_TYPE_MASK;
      if (length < NLA_HDRLEN) throw new IpvsDecodeError(`${context}: attribute ${type} has length ${length}, less than its header`);
      if (length > left) throw new IpvsDecodeError(`${context}: attribute ${type} claims ${length} bytes but only ${left} remain`);
      values.set(type, buffer.subarray(offset + NLA_HDRLEN, offset + length));
      offset += Math.min(align4(length), left);
    }
    return new AttributeSet(values, context);
  }

  has(type: number): boolean {
    return this.values.has(type);
  }

  types(): number[] {
    return [...this.values.keys()];
  }

  raw(type: number): Buffer | undefined {
    return this.values.get(type);
  }

  private sized(type: number, name: string, size: number): Buffer | undefined {
    const value = this.values.get(type);
    if (value !== undefined && value.length !== size) throw new IpvsDecodeError(`${this.context} attribute ${name}: expected ${size} bytes, got ${value.length}`);
    return value;
  }

  private required<T>(value: T | undefined, name: string): T {
    if (value === undefined) throw new IpvsDecodeError(`${this.context}: attribute ${name} is missing`);
    return value;
  }

  optU8(type: number, name: string): number | undefined {
    return this.sized(type, name, 1)?.readUInt8(0);
  }
  optU16(type: number, name: string): number | undefined {
    const value = this.sized(type, name, 2);
    return value && readU16(value, 0);
  }
  optU16be(type: number, name: string): number | undefined {
    return this.sized(type, name, 2)?.readUInt16BE(0);
  }
  optU32(type: number, name: string): number | undefined {
    const value = this.sized(type, name, 4);
    return value && readU32(value, 0);
  }
  optU64(type: number, name: string): bigint | undefined {
    const value = this.sized(type, name, 8);
    if (value === undefined) return undefined;
    return littleEndian ? value.readBigUInt64LE(0) : value.readBigUInt64BE(0);
  }

  u8(type: number, name: string): number {
    return this.required(this.optU8(type, name), name);
  }
  u16(type: number, name: string): number {
    return this.required(this.optU16(type, name), name);
  }
  u16be(type: number, name: string): number {
    return this.required(this.optU16be(type, name), name);
  }
  u32(type: number, name: string): number {
    return this.required(this.optU32(type, name), name);
  }
  u32be(type: number, name: string): number {
    return this.required(this.sized(type, name, 4)?.readUInt32BE(0), name);
  }
  u64(type: number, name: string): bigint {
    return this.required(this.optU64(type, name), name);
  }

  bytes(type: number, name: string): Buffer {
    return this.required(this.values.get(type), name);
  }

  /** A string attribute; the NUL terminator and anything after it are dropped. */
  optString(type: number, name: string): string | undefined {
    const value = this.values.get(type);
    if (value === undefined) return undefined;
    const end = value.indexOf(0);
    if (end < 0) throw new IpvsDecodeError(`${this.context} attribute ${name}: string is not NUL-terminated`);
    return value.subarray(0, end).toString('utf8');
  }

  string(type: number, name: string): string {
    return this.required(this.optString(type, name), name);
  }

  optNested(type: number, name: string): AttributeSet | undefined {
    const value = this.values.get(type);
    return value === undefined ? undefined : AttributeSet.parse(value, `${this.context} ${name}`);
  }

  nested(type: number, name: string): AttributeSet {
    return this.required(this.optNested(type, name), name);
  }
}
