import { endianness } from 'node:os';
import { NLA_HDRLEN, NLA_TYPE_MASK } from './constants.js';
import { IpvsDecodeError } from './errors.js';

// Netlink numbers are in the host's byte order; only the fields IPVS defines as __be16/__be32 are big-endian.
export const littleEndianHost = endianness() === 'LE';

export const align4 = (n: number): number => (n + 3) & ~3;

export function readU16(buffer: Buffer, offset: number): number {
  return littleEndianHost ? buffer.readUInt16LE(offset) : buffer.readUInt16BE(offset);
}
export function readU32(buffer: Buffer, offset: number): number {
  return littleEndianHost ? buffer.readUInt32LE(offset) : buffer.readUInt32BE(offset);
}
export function readI32(buffer: Buffer, offset: number): number {
  return littleEndianHost ? buffer.readInt32LE(offset) : buffer.readInt32BE(offset);
}
export function writeU16(buffer: Buffer, value: number, offset: number): void {
  if (littleEndianHost) buffer.writeUInt16LE(value, offset);
  else buffer.writeUInt16BE(value, offset);
}
export function writeU32(buffer: Buffer, value: number, offset: number): void {
  if (littleEndianHost) buffer.writeUInt32LE(value, offset);
  else buffer.writeUInt32BE(value, offset);
}

/** Builds a run of netlink attributes into one growing buffer. Numbers are host-endian unless the method says BE. */
export class AttributeWriter {
  private buffer = Buffer.allocUnsafe(256);
  private length = 0;

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  /** Reserves an attribute and returns where its payload goes (reserving may replace this.buffer, so read it after). */
  private header(type: number, payloadLength: number): number {
    const total = align4(NLA_HDRLEN + payloadLength);
    this.reserve(total);
    const at = this.length;
    // The caller writes the payload; only the padding needs zeroing (the buffer is not zero-filled).
    for (let i = at + NLA_HDRLEN + payloadLength; i < at + total; i++) this.buffer[i] = 0;
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
    if (littleEndianHost) this.buffer.writeBigUInt64LE(value, at);
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
    this.buffer[at + encoded.length] = 0;
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

  /** The attributes written, sharing this writer's memory: write nothing more afterwards. */
  toBuffer(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/** IPVS attribute types stop at 15; anything above this is from a newer kernel and is ignored. */
const MAX_TYPE = 31;

/**
 * Attributes of one level by type (the last one wins on duplicates, as in the kernel's nla_parse).
 * Values stay in the parsed buffer: only offsets are kept, so decoding large dumps allocates little.
 */
export class AttributeSet {
  private constructor(
    /** The buffer the attributes live in (shared with the parent set and the message). */
    readonly buffer: Buffer,
    /** Payload offset and length of type t at [2t] and [2t+1]; undefined when absent. */
    private readonly index: number[],
    /** Names the containing object in error messages, e.g. "service". */
    readonly context: string,
  ) {}

  /** Parses the attributes in buffer[start, end), rejecting any that is short or overruns the end. */
  static parse(buffer: Buffer, context: string, start = 0, end = buffer.length): AttributeSet {
    const index: number[] = [];
    let offset = start;
    while (offset < end) {
      const left = end - offset;
      if (left < NLA_HDRLEN) throw new IpvsDecodeError(`${context}: ${left} trailing bytes are too short for an attribute header`);
      const length = readU16(buffer, offset);
      const type = readU16(buffer, offset + 2) & NLA_TYPE_MASK;
      if (length < NLA_HDRLEN) throw new IpvsDecodeError(`${context}: attribute ${type} has length ${length}, less than its header`);
      if (length > left) throw new IpvsDecodeError(`${context}: attribute ${type} claims ${length} bytes but only ${left} remain`);
      if (type <= MAX_TYPE) {
        index[2 * type] = offset + NLA_HDRLEN;
        index[2 * type + 1] = length - NLA_HDRLEN;
      }
      offset += Math.min(align4(length), left);
    }
    return new AttributeSet(buffer, index, context);
  }

  has(type: number): boolean {
    return this.index[2 * type] !== undefined;
  }

  types(): number[] {
    const present: number[] = [];
    for (let type = 0; type <= MAX_TYPE; type++) if (this.has(type)) present.push(type);
    return present;
  }

  /** Where the payload of `type` starts in `buffer`, or -1 when absent. */
  offsetOf(type: number): number {
    return this.has(type) ? (this.index[2 * type] as number) : -1;
  }

  /** The payload length of `type` (0 when absent). */
  lengthOf(type: number): number {
    return this.index[2 * type + 1] ?? 0;
  }

  raw(type: number): Buffer | undefined {
    if (!this.has(type)) return undefined;
    const start = this.index[2 * type] as number;
    return this.buffer.subarray(start, start + (this.index[2 * type + 1] as number));
  }

  /** The payload offset of an attribute of exactly `size` bytes, or -1 when absent. */
  private sized(type: number, name: string, size: number): number {
    if (!this.has(type)) return -1;
    const length = this.index[2 * type + 1] as number;
    if (length !== size) throw new IpvsDecodeError(`${this.context} attribute ${name}: expected ${size} bytes, got ${length}`);
    return this.index[2 * type] as number;
  }

  private missing(name: string): IpvsDecodeError {
    return new IpvsDecodeError(`${this.context}: attribute ${name} is missing`);
  }

  optU8(type: number, name: string): number | undefined {
    const at = this.sized(type, name, 1);
    return at < 0 ? undefined : this.buffer.readUInt8(at);
  }
  optU16(type: number, name: string): number | undefined {
    const at = this.sized(type, name, 2);
    return at < 0 ? undefined : readU16(this.buffer, at);
  }
  optU16be(type: number, name: string): number | undefined {
    const at = this.sized(type, name, 2);
    return at < 0 ? undefined : this.buffer.readUInt16BE(at);
  }
  optU32(type: number, name: string): number | undefined {
    const at = this.sized(type, name, 4);
    return at < 0 ? undefined : readU32(this.buffer, at);
  }
  optU64(type: number, name: string): bigint | undefined {
    const at = this.sized(type, name, 8);
    if (at < 0) return undefined;
    return littleEndianHost ? this.buffer.readBigUInt64LE(at) : this.buffer.readBigUInt64BE(at);
  }

  u8(type: number, name: string): number {
    const value = this.optU8(type, name);
    if (value === undefined) throw this.missing(name);
    return value;
  }
  u16(type: number, name: string): number {
    const value = this.optU16(type, name);
    if (value === undefined) throw this.missing(name);
    return value;
  }
  u16be(type: number, name: string): number {
    const value = this.optU16be(type, name);
    if (value === undefined) throw this.missing(name);
    return value;
  }
  u32(type: number, name: string): number {
    const value = this.optU32(type, name);
    if (value === undefined) throw this.missing(name);
    return value;
  }
  u32be(type: number, name: string): number {
    const at = this.sized(type, name, 4);
    if (at < 0) throw this.missing(name);
    return this.buffer.readUInt32BE(at);
  }
  u64(type: number, name: string): bigint {
    const value = this.optU64(type, name);
    if (value === undefined) throw this.missing(name);
    return value;
  }

  bytes(type: number, name: string): Buffer {
    const value = this.raw(type);
    if (value === undefined) throw this.missing(name);
    return value;
  }

  /** A string attribute; the NUL terminator and anything after it are dropped. */
  optString(type: number, name: string): string | undefined {
    if (!this.has(type)) return undefined;
    const start = this.index[2 * type] as number;
    const end = this.buffer.indexOf(0, start);
    if (end < 0 || end >= start + (this.index[2 * type + 1] as number)) throw new IpvsDecodeError(`${this.context} attribute ${name}: string is not NUL-terminated`);
    return this.buffer.toString('utf8', start, end);
  }

  string(type: number, name: string): string {
    const value = this.optString(type, name);
    if (value === undefined) throw this.missing(name);
    return value;
  }

  /** A nested attribute, parsed in place; `context` names it in errors (default: "<parent> <name>"). */
  optNested(type: number, name: string, context = `${this.context} ${name}`): AttributeSet | undefined {
    if (!this.has(type)) return undefined;
    const start = this.index[2 * type] as number;
    return AttributeSet.parse(this.buffer, context, start, start + (this.index[2 * type + 1] as number));
  }

  nested(type: number, name: string, context?: string): AttributeSet {
    const value = this.optNested(type, name, context);
    if (value === undefined) throw this.missing(name);
    return value;
  }
}
