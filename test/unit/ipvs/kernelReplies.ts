// Builders of messages shaped like the kernel's replies (ip_vs_genl_fill_service, _fill_dest,
// _fill_stats64, _fill_daemon in net/netfilter/ipvs/ip_vs_ctl.c), written with the raw
// attribute writer rather than the codec under test.

import { AttributeWriter } from '../../../src/ipvs/attributes.js';

export interface KernelStatsOptions {
  /** Emit STATS64 (kernel 4.1+). */
  wide?: boolean;
  /** Emit the legacy u32 STATS. */
  narrow?: boolean;
  /** Precede each u64 with a PAD attribute (type 11), as nla_put_u64_64bit does where unaligned access is slow. */
  pad?: boolean;
  values?: bigint[];
}

const defaultValues = [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n];

export function writeStats(w: AttributeWriter, statsType: number, stats64Type: number, options: KernelStatsOptions = {}): void {
  const values = options.values ?? defaultValues;
  const { wide = true, narrow = true, pad = false } = options;
  const u64 = (inner: AttributeWriter, type: number, value: bigint): void => {
    if (pad) inner.bytes(11, Buffer.alloc(0));
    inner.u64(type, value);
  };
  if (narrow) {
    w.nested(statsType, (inner) => {
      values.forEach((value, i) => {
        const type = i + 1;
        if (type === 4 || type === 5) u64(inner, type, value);
        else inner.u32(type, Number(value & 0xffffffffn));
      });
    });
  }
  if (wide) w.nested(stats64Type, (inner) => values.forEach((value, i) => u64(inner, i + 1, value)));
}

export interface KernelService {
  af: number;
  fwmark?: number;
  protocol?: number;
  /** The kernel always sends the 16-byte union nf_inet_addr. */
  address?: Buffer;
  port?: number;
  scheduler?: string;
  pe?: string;
  flags?: number;
  timeout?: number;
  /** Raw bytes of the __be32 netmask field: a BE mask for IPv4, a host-order prefix length for IPv6. */
  netmask?: Buffer;
  stats?: KernelStatsOptions;
}

export function kernelServiceMessage(s: KernelService): Buffer {
  return new AttributeWriter()
    .nested(1, (w) => {
      w.u16(1, s.af);
      if (s.fwmark !== undefined) w.u32(5, s.fwmark);
      else {
        if (s.protocol !== undefined) w.u16(2, s.protocol);
        if (s.address) w.bytes(3, s.address);
        if (s.port !== undefined) w.u16be(4, s.port);
      }
      if (s.scheduler !== undefined) w.string(6, s.scheduler);
      if (s.pe !== undefined) w.string(11, s.pe);
      const flags = Buffer.alloc(8);
      flags.writeUInt32LE(s.flags ?? 0x2, 0);
      flags.writeUInt32LE(0xffffffff, 4);
      w.bytes(7, flags);
      w.u32(8, s.timeout ?? 0);
      w.bytes(9, s.netmask ?? Buffer.from([0xff, 0xff, 0xff, 0xff]));
      writeStats(w, 10, 12, s.stats);
    })
    .toBuffer();
}

export interface KernelDestination {
  address: Buffer;
  port: number;
  fwd: number;
  weight?: number;
  tunType?: number;
  tunPort?: number;
  tunFlags?: number;
  uThresh?: number;
  lThresh?: number;
  active?: number;
  inactive?: number;
  persist?: number;
  af?: number;
  stats?: KernelStatsOptions;
}

export function kernelDestinationMessage(d: KernelDestination): Buffer {
  return new AttributeWriter()
    .nested(2, (w) => {
      w.bytes(1, d.address);
      w.u16be(2, d.port);
      w.u32(3, d.fwd);
      w.u32(4, d.weight ?? 1);
      if (d.tunType !== undefined) w.u8(13, d.tunType);
      if (d.tunPort !== undefined) w.u16be(14, d.tunPort);
      if (d.tunFlags !== undefined) w.u16(15, d.tunFlags);
      w.u32(5, d.uThresh ?? 0);
      w.u32(6, d.lThresh ?? 0);
      w.u32(7, d.active ?? 0);
      w.u32(8, d.inactive ?? 0);
      w.u32(9, d.persist ?? 0);
      if (d.af !== undefined) w.u16(11, d.af);
      writeStats(w, 10, 12, d.stats);
    })
    .toBuffer();
}

/** A 16-byte nf_inet_addr holding an IPv4 address (the rest zero). */
export function inet16(a: number, b: number, c: number, d: number): Buffer {
  const buffer = Buffer.alloc(16);
  buffer.set([a, b, c, d]);
  return buffer;
}

export function inet6(hex: string): Buffer {
  return Buffer.from(hex.replace(/[^0-9a-f]/gi, ''), 'hex');
}

export function beMask(mask: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(mask >>> 0);
  return buffer;
}

export function hostU32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value);
  return buffer;
}
