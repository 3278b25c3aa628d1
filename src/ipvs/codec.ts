// Pure translation between typed IPVS objects and generic netlink attribute buffers.
// Byte order (TECH.md §1.1): ports, TUN_PORT and the IPv4 NETMASK are big-endian; the rest is host-endian.

import { addressToBytes, bytesToAddress, familyOf, parseIPv4 } from './address.js';
import { AttributeSet, AttributeWriter, littleEndianHost, readU16, readU32, writeU32 } from './attributes.js';
import {
  AF_INET,
  AF_INET6,
  CmdAttr,
  DaemonAttr,
  DaemonState,
  DestAttr,
  FORWARDING_MASK,
  Forwarding,
  InfoAttr,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  NLA_TYPE_MASK,
  StatsAttr,
  SvcAttr,
  SvcFlag,
  TunnelFlag,
  TunnelType,
} from './constants.js';
import { IpvsDecodeError, IpvsEncodeError } from './errors.js';
import type {
  DaemonRole,
  DestinationConfig,
  DestinationEntry,
  DestinationKey,
  DestinationState,
  Family,
  ForwardingMethod,
  IpvsInfo,
  Protocol,
  ServiceConfig,
  ServiceEntry,
  ServiceKey,
  Stats,
  SyncDaemonConfig,
  Timeouts,
  TunnelSettings,
} from './types.js';

const FAMILY_NUMBER: Record<Family, number> = { inet: AF_INET, inet6: AF_INET6 };
const PROTOCOL_NUMBER: Record<Protocol, number> = { tcp: IPPROTO_TCP, udp: IPPROTO_UDP, sctp: IPPROTO_SCTP };
const FORWARDING_NUMBER: Record<ForwardingMethod, number> = {
  nat: Forwarding.MASQ,
  local: Forwarding.LOCALNODE,
  tunnel: Forwarding.TUNNEL,
  dr: Forwarding.DROUTE,
  bypass: Forwarding.BYPASS,
};
const TUNNEL_NUMBER: Record<TunnelSettings['type'], number> = { ipip: TunnelType.IPIP, gue: TunnelType.GUE, gre: TunnelType.GRE };
const DAEMON_STATE: Record<DaemonRole, number> = { master: DaemonState.MASTER, backup: DaemonState.BACKUP };

const reverse = <K extends string>(map: Record<K, number>): Map<number, K> => new Map(Object.entries(map).map(([k, v]) => [v as number, k as K]));
const FAMILY_NAME = reverse(FAMILY_NUMBER);
const PROTOCOL_NAME = reverse(PROTOCOL_NUMBER);
const FORWARDING_NAME = reverse(FORWARDING_NUMBER);
const TUNNEL_NAME = reverse(TUNNEL_NUMBER);
const DAEMON_ROLE = reverse(DAEMON_STATE);

/** The family of a service: from its address, or given for fwmark services. */
export function serviceFamily(key: ServiceKey): Family {
  return key.protocol === 'fwmark' ? key.family : familyOf(key.address);
}

/** Human-readable name of a service for errors and logs, e.g. "tcp 10.0.0.1:80", "tcp [2001:db8::1]:80", "fwmark 5 (inet6)". */
export function describeService(key: ServiceKey): string {
  if (key.protocol === 'fwmark') return `fwmark ${key.fwmark} (${key.family})`;
  return `${key.protocol} ${describeEndpoint(key)}`;
}

export function describeEndpoint(key: DestinationKey): string {
  return familyOf(key.address) === 'inet6' ? `[${key.address}]:${key.port}` : `${key.address}:${key.port}`;
}

export function describeDestination(service: ServiceKey, destination: DestinationKey): string {
  return `${describeService(service)} -> ${describeEndpoint(destination)}`;
}

// ---------------------------------------------------------------- encoding

function checkInteger(value: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new IpvsEncodeError(`${what} must be an integer in ${min}..${max}, got ${value}`);
  return value;
}

function checkName(value: string, maxLength: number, what: string): string {
  if (value.length === 0 || Buffer.byteLength(value) > maxLength || value.includes('\0')) {
    throw new IpvsEncodeError(`${what} must be 1..${maxLength} bytes without NUL, got '${value}'`);
  }
  return value;
}

/** An IPv4 prefix length as the big-endian mask the kernel stores. */
export function prefixToMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** The prefix length of a contiguous IPv4 mask; a non-contiguous one is rejected (it has no prefix form). */
export function maskToPrefix(mask: number, service: ServiceKey): number {
  const inverted = ~mask >>> 0;
  if ((inverted & (inverted + 1)) !== 0) throw new IpvsDecodeError(`${describeService(service)}: IPv4 netmask 0x${mask.toString(16)} is not contiguous`);
  return 32 - Math.log2(inverted + 1);
}

/** An address attribute: 4 bytes for IPv4 (the kernel zero-fills the rest of its union), 16 for IPv6. */
function writeAddress(w: AttributeWriter, type: number, address: string): Family {
  const v4 = parseIPv4(address);
  if (v4 >= 0) {
    w.u32be(type, v4);
    return 'inet';
  }
  w.bytes(type, addressToBytes(address));
  return 'inet6';
}

/** An address attribute of a reply, read in place. */
function readAddress(attrs: AttributeSet, type: number, name: string, family: Family): string {
  const offset = attrs.offsetOf(type);
  if (offset < 0) throw new IpvsDecodeError(`${attrs.context}: attribute ${name} is missing`);
  return bytesToAddress(attrs.buffer, offset, attrs.lengthOf(type), family, `${attrs.context} ${name}`);
}

function writeServiceKey(w: AttributeWriter, key: ServiceKey): void {
  const family = serviceFamily(key);
  w.u16(SvcAttr.AF, FAMILY_NUMBER[family]);
  if (key.protocol === 'fwmark') {
    w.u32(SvcAttr.FWMARK, checkInteger(key.fwmark, 1, 0xffffffff, 'fwmark'));
    return;
  }
  w.u16(SvcAttr.PROTOCOL, PROTOCOL_NUMBER[key.protocol]);
  writeAddress(w, SvcAttr.ADDR, key.address);
  w.u16be(SvcAttr.PORT, checkInteger(key.port, 0, 0xffff, 'service port'));
}

/** CMD_ATTR_SERVICE with only the identity: enough for DEL_SERVICE, GET_SERVICE, GET_DEST and ZERO. */
export function encodeServiceKey(key: ServiceKey): Buffer {
  return new AttributeWriter().nested(CmdAttr.SERVICE, (w) => writeServiceKey(w, key)).toBuffer();
}

/** CMD_ATTR_SERVICE with every attribute NEW_SERVICE and SET_SERVICE require (missing ones give EINVAL). */
export function encodeService(service: ServiceConfig): Buffer {
  const family = serviceFamily(service);
  const flags =
    (service.persistent ? SvcFlag.PERSISTENT : 0) |
    (service.onePacket ? SvcFlag.ONEPACKET : 0) |
    (service.schedulerFlags.flag1 ? SvcFlag.SCHED1 : 0) |
    (service.schedulerFlags.flag2 ? SvcFlag.SCHED2 : 0) |
    (service.schedulerFlags.flag3 ? SvcFlag.SCHED3 : 0);
  // {flags, mask}: mask 0xffffffff replaces the flags instead of merging with the old ones.
  const flagsStruct = Buffer.alloc(8);
  writeU32(flagsStruct, flags, 0);
  writeU32(flagsStruct, 0xffffffff, 4);
  return new AttributeWriter()
    .nested(CmdAttr.SERVICE, (w) => {
      writeServiceKey(w, service);
      w.string(SvcAttr.SCHED_NAME, checkName(service.scheduler, 15, 'scheduler name'));
      if (service.persistenceEngine !== undefined) w.string(SvcAttr.PE_NAME, checkName(service.persistenceEngine, 32, 'persistence engine name'));
      w.bytes(SvcAttr.FLAGS, flagsStruct);
      w.u32(SvcAttr.TIMEOUT, checkInteger(service.persistenceTimeout, 0, 0xffffffff, 'persistence timeout'));
      if (family === 'inet') w.u32be(SvcAttr.NETMASK, prefixToMask(checkInteger(service.netmask, 0, 32, 'IPv4 netmask prefix')));
      else w.u32(SvcAttr.NETMASK, checkInteger(service.netmask, 1, 128, 'IPv6 netmask prefix'));
    })
    .toBuffer();
}

function writeDestinationKey(w: AttributeWriter, destination: DestinationKey): void {
  const family = writeAddress(w, DestAttr.ADDR, destination.address);
  w.u16be(DestAttr.PORT, checkInteger(destination.port, 0, 0xffff, 'destination port'));
  w.u16(DestAttr.ADDR_FAMILY, FAMILY_NUMBER[family]);
}

/** CMD_ATTR_SERVICE identity plus CMD_ATTR_DEST with the identity only: for DEL_DEST. */
export function encodeDestinationKey(service: ServiceKey, destination: DestinationKey): Buffer {
  return new AttributeWriter()
    .nested(CmdAttr.SERVICE, (w) => writeServiceKey(w, service))
    .nested(CmdAttr.DEST, (w) => writeDestinationKey(w, destination))
    .toBuffer();
}

/** CMD_ATTR_SERVICE identity plus a full CMD_ATTR_DEST: for NEW_DEST and SET_DEST. */
export function encodeDestination(service: ServiceKey, destination: DestinationConfig): Buffer {
  if ((destination.forwarding === 'tunnel') !== (destination.tunnel !== undefined)) {
    throw new IpvsEncodeError(`${describeDestination(service, destination)}: tunnel settings are required with, and only with, tunnel forwarding`);
  }
  return new AttributeWriter()
    .nested(CmdAttr.SERVICE, (w) => writeServiceKey(w, service))
    .nested(CmdAttr.DEST, (w) => {
      writeDestinationKey(w, destination);
      w.u32(DestAttr.FWD_METHOD, FORWARDING_NUMBER[destination.forwarding]);
      w.u32(DestAttr.WEIGHT, checkInteger(destination.weight, 0, 0x7fffffff, 'weight'));
      w.u32(DestAttr.U_THRESH, checkInteger(destination.upperThreshold, 0, 0xffffffff, 'upper threshold'));
      w.u32(DestAttr.L_THRESH, checkInteger(destination.lowerThreshold, 0, 0xffffffff, 'lower threshold'));
      const tunnel = destination.tunnel;
      if (tunnel) {
        w.u8(DestAttr.TUN_TYPE, TUNNEL_NUMBER[tunnel.type]);
        w.u16be(DestAttr.TUN_PORT, checkInteger(tunnel.port, 0, 0xffff, 'tunnel port'));
        w.u16(DestAttr.TUN_FLAGS, (tunnel.checksum ? TunnelFlag.CSUM : 0) | (tunnel.remoteChecksum ? TunnelFlag.REMCSUM : 0));
      }
    })
    .toBuffer();
}

/** CMD_ATTR_DAEMON for NEW_DAEMON. MCAST_PORT is host-endian (nla_get_u16), unlike the service ports. */
export function encodeDaemon(config: SyncDaemonConfig): Buffer {
  return new AttributeWriter()
    .nested(CmdAttr.DAEMON, (w) => {
      w.u32(DaemonAttr.STATE, DAEMON_STATE[config.role]);
      w.string(DaemonAttr.MCAST_IFN, checkName(config.interface, 15, 'sync daemon interface'));
      w.u32(DaemonAttr.SYNC_ID, checkInteger(config.syncId, 0, 255, 'sync id'));
      if (config.maxLength !== undefined) w.u16(DaemonAttr.SYNC_MAXLEN, checkInteger(config.maxLength, 0, 0xffff, 'sync max length'));
      if (config.group !== undefined) {
        const bytes = addressToBytes(config.group);
        w.bytes(bytes.length === 4 ? DaemonAttr.MCAST_GROUP : DaemonAttr.MCAST_GROUP6, bytes);
      }
      if (config.port !== undefined) w.u16(DaemonAttr.MCAST_PORT, checkInteger(config.port, 0, 0xffff, 'sync port'));
      if (config.ttl !== undefined) w.u8(DaemonAttr.MCAST_TTL, checkInteger(config.ttl, 0, 255, 'sync ttl'));
    })
    .toBuffer();
}

/** CMD_ATTR_DAEMON with only the state: for DEL_DAEMON. */
export function encodeDaemonRole(role: DaemonRole): Buffer {
  return new AttributeWriter().nested(CmdAttr.DAEMON, (w) => w.u32(DaemonAttr.STATE, DAEMON_STATE[role])).toBuffer();
}

/** Top-level TIMEOUT_* for SET_CONFIG; absent values are not sent, and the kernel keeps them. */
export function encodeTimeouts(timeouts: Partial<Timeouts>): Buffer {
  const w = new AttributeWriter();
  if (timeouts.tcp !== undefined) w.u32(CmdAttr.TIMEOUT_TCP, checkInteger(timeouts.tcp, 0, 0xffffffff, 'tcp timeout'));
  if (timeouts.tcpFin !== undefined) w.u32(CmdAttr.TIMEOUT_TCP_FIN, checkInteger(timeouts.tcpFin, 0, 0xffffffff, 'tcp fin timeout'));
  if (timeouts.udp !== undefined) w.u32(CmdAttr.TIMEOUT_UDP, checkInteger(timeouts.udp, 0, 0xffffffff, 'udp timeout'));
  return w.toBuffer();
}

// ---------------------------------------------------------------- decoding

function lookup<T>(map: Map<number, T>, value: number, context: string, what: string): T {
  const name = map.get(value);
  if (name === undefined) throw new IpvsDecodeError(`${context}: unknown ${what} ${value}`);
  return name;
}

/**
 * The usual STATS64 layout, read without parsing: ten 12-byte u64 attributes of types 1..10 in
 * order, no PAD (what x86-64 and other fast-unaligned architectures get). Undefined otherwise.
 */
function readPackedStats64(parent: AttributeSet, stats64Type: number): Stats | undefined {
  const start = parent.offsetOf(stats64Type);
  if (start < 0 || parent.lengthOf(stats64Type) !== 120) return undefined;
  const b = parent.buffer;
  for (let i = 0; i < 10; i++) if (readU16(b, start + i * 12) !== 12 || (readU16(b, start + i * 12 + 2) & NLA_TYPE_MASK) !== i + 1) return undefined;
  const at = (i: number): bigint => (littleEndianHost ? b.readBigUInt64LE(start + i * 12 + 4) : b.readBigUInt64BE(start + i * 12 + 4));
  return {
    connections: at(0),
    packetsIn: at(1),
    packetsOut: at(2),
    bytesIn: at(3),
    bytesOut: at(4),
    connectionsPerSecond: at(5),
    packetsInPerSecond: at(6),
    packetsOutPerSecond: at(7),
    bytesInPerSecond: at(8),
    bytesOutPerSecond: at(9),
  };
}

/** STATS64 when present (4.1+), else the older STATS with its u32 counters; PAD attributes are ignored. */
export function decodeStats(parent: AttributeSet, stats64Type: number, statsType: number): Stats {
  const packed = readPackedStats64(parent, stats64Type);
  if (packed) return packed;
  const wide = parent.optNested(stats64Type, 'STATS64');
  if (wide) {
    return {
      connections: wide.u64(StatsAttr.CONNS, 'CONNS'),
      packetsIn: wide.u64(StatsAttr.INPKTS, 'INPKTS'),
      packetsOut: wide.u64(StatsAttr.OUTPKTS, 'OUTPKTS'),
      bytesIn: wide.u64(StatsAttr.INBYTES, 'INBYTES'),
      bytesOut: wide.u64(StatsAttr.OUTBYTES, 'OUTBYTES'),
      connectionsPerSecond: wide.u64(StatsAttr.CPS, 'CPS'),
      packetsInPerSecond: wide.u64(StatsAttr.INPPS, 'INPPS'),
      packetsOutPerSecond: wide.u64(StatsAttr.OUTPPS, 'OUTPPS'),
      bytesInPerSecond: wide.u64(StatsAttr.INBPS, 'INBPS'),
      bytesOutPerSecond: wide.u64(StatsAttr.OUTBPS, 'OUTBPS'),
    };
  }
  const narrow = parent.optNested(statsType, 'STATS');
  if (!narrow) throw new IpvsDecodeError(`${parent.context}: neither STATS64 nor STATS is present`);
  return {
    connections: BigInt(narrow.u32(StatsAttr.CONNS, 'CONNS')),
    packetsIn: BigInt(narrow.u32(StatsAttr.INPKTS, 'INPKTS')),
    packetsOut: BigInt(narrow.u32(StatsAttr.OUTPKTS, 'OUTPKTS')),
    bytesIn: narrow.u64(StatsAttr.INBYTES, 'INBYTES'),
    bytesOut: narrow.u64(StatsAttr.OUTBYTES, 'OUTBYTES'),
    connectionsPerSecond: BigInt(narrow.u32(StatsAttr.CPS, 'CPS')),
    packetsInPerSecond: BigInt(narrow.u32(StatsAttr.INPPS, 'INPPS')),
    packetsOutPerSecond: BigInt(narrow.u32(StatsAttr.OUTPPS, 'OUTPPS')),
    bytesInPerSecond: BigInt(narrow.u32(StatsAttr.INBPS, 'INBPS')),
    bytesOutPerSecond: BigInt(narrow.u32(StatsAttr.OUTBPS, 'OUTBPS')),
  };
}

/**
 * The nested SERVICE of a NEW_SERVICE message (a GET_SERVICE reply or dump part), with its
 * stats unless `withStats` is false. Built field by field: this runs once per service of a dump.
 */
export function decodeService(message: Buffer, withStats?: true): ServiceEntry;
export function decodeService(message: Buffer, withStats: boolean): ServiceConfig;
export function decodeService(message: Buffer, withStats = true): ServiceConfig {
  const top = AttributeSet.parse(message, 'service message');
  const attrs = top.nested(CmdAttr.SERVICE, 'SERVICE', 'service');
  const family = lookup(FAMILY_NAME, attrs.u16(SvcAttr.AF, 'AF'), 'service', 'address family');
  const fwmark = attrs.optU32(SvcAttr.FWMARK, 'FWMARK');
  const entry = (
    fwmark !== undefined
      ? { protocol: 'fwmark', family, fwmark }
      : {
          protocol: lookup(PROTOCOL_NAME, attrs.u16(SvcAttr.PROTOCOL, 'PROTOCOL'), 'service', 'protocol'),
          address: readAddress(attrs, SvcAttr.ADDR, 'ADDR', family),
          port: attrs.u16be(SvcAttr.PORT, 'PORT'),
        }
  ) as ServiceEntry;
  const flagsAt = attrs.offsetOf(SvcAttr.FLAGS);
  if (flagsAt < 0) throw new IpvsDecodeError(`${describeService(entry)}: attribute FLAGS is missing`);
  if (attrs.lengthOf(SvcAttr.FLAGS) !== 8) throw new IpvsDecodeError(`${describeService(entry)} attribute FLAGS: expected 8 bytes, got ${attrs.lengthOf(SvcAttr.FLAGS)}`);
  const flags = readU32(attrs.buffer, flagsAt);
  entry.scheduler = attrs.string(SvcAttr.SCHED_NAME, 'SCHED_NAME');
  entry.schedulerFlags = { flag1: (flags & SvcFlag.SCHED1) !== 0, flag2: (flags & SvcFlag.SCHED2) !== 0, flag3: (flags & SvcFlag.SCHED3) !== 0 };
  entry.persistent = (flags & SvcFlag.PERSISTENT) !== 0;
  entry.persistenceTimeout = attrs.u32(SvcAttr.TIMEOUT, 'TIMEOUT');
  entry.netmask = family === 'inet' ? maskToPrefix(attrs.u32be(SvcAttr.NETMASK, 'NETMASK'), entry) : attrs.u32(SvcAttr.NETMASK, 'NETMASK');
  entry.onePacket = (flags & SvcFlag.ONEPACKET) !== 0;
  const persistenceEngine = attrs.optString(SvcAttr.PE_NAME, 'PE_NAME');
  if (persistenceEngine !== undefined) entry.persistenceEngine = persistenceEngine;
  if (withStats) entry.stats = decodeStats(attrs, SvcAttr.STATS64, SvcAttr.STATS);
  return entry;
}

/**
 * The nested DEST of a NEW_DEST dump part, with its stats unless `withStats` is false.
 * Kernels before 3.18 send no ADDR_FAMILY: then the service's family applies.
 */
export function decodeDestination(message: Buffer, serviceFamilyFallback: Family, withStats?: true): DestinationEntry;
export function decodeDestination(message: Buffer, serviceFamilyFallback: Family, withStats: boolean): DestinationState;
export function decodeDestination(message: Buffer, serviceFamilyFallback: Family, withStats = true): DestinationState {
  const top = AttributeSet.parse(message, 'destination message');
  const attrs = top.nested(CmdAttr.DEST, 'DEST', 'destination');
  const familyNumber = attrs.optU16(DestAttr.ADDR_FAMILY, 'ADDR_FAMILY');
  const family = familyNumber === undefined ? serviceFamilyFallback : lookup(FAMILY_NAME, familyNumber, 'destination', 'address family');
  const entry: DestinationState & { stats?: Stats } = {
    address: readAddress(attrs, DestAttr.ADDR, 'ADDR', family),
    port: attrs.u16be(DestAttr.PORT, 'PORT'),
    forwarding: lookup(FORWARDING_NAME, attrs.u32(DestAttr.FWD_METHOD, 'FWD_METHOD') & FORWARDING_MASK, 'destination', 'forwarding method'),
    weight: attrs.u32(DestAttr.WEIGHT, 'WEIGHT'),
    upperThreshold: attrs.u32(DestAttr.U_THRESH, 'U_THRESH'),
    lowerThreshold: attrs.u32(DestAttr.L_THRESH, 'L_THRESH'),
    activeConnections: attrs.u32(DestAttr.ACTIVE_CONNS, 'ACTIVE_CONNS'),
    inactiveConnections: attrs.u32(DestAttr.INACT_CONNS, 'INACT_CONNS'),
    persistentConnections: attrs.u32(DestAttr.PERSIST_CONNS, 'PERSIST_CONNS'),
  };
  if (withStats) entry.stats = decodeStats(attrs, DestAttr.STATS64, DestAttr.STATS);
  if (entry.forwarding === 'tunnel') {
    // Kernels before 5.2 know only IPIP and send none of the TUN_* attributes.
    const tunnelFlags = attrs.optU16(DestAttr.TUN_FLAGS, 'TUN_FLAGS') ?? 0;
    entry.tunnel = {
      type: lookup(TUNNEL_NAME, attrs.optU8(DestAttr.TUN_TYPE, 'TUN_TYPE') ?? TunnelType.IPIP, 'destination', 'tunnel type'),
      port: attrs.optU16be(DestAttr.TUN_PORT, 'TUN_PORT') ?? 0,
      checksum: (tunnelFlags & TunnelFlag.CSUM) !== 0,
      remoteChecksum: (tunnelFlags & TunnelFlag.REMCSUM) !== 0,
    };
  }
  return entry;
}

/** One NEW_DAEMON dump part. */
export function decodeDaemon(message: Buffer): Required<Omit<SyncDaemonConfig, 'group'>> & Pick<SyncDaemonConfig, 'group'> {
  const top = AttributeSet.parse(message, 'daemon message');
  const attrs = top.nested(CmdAttr.DAEMON, 'DAEMON', 'daemon');
  const group = attrs.has(DaemonAttr.MCAST_GROUP)
    ? readAddress(attrs, DaemonAttr.MCAST_GROUP, 'MCAST_GROUP', 'inet')
    : attrs.has(DaemonAttr.MCAST_GROUP6)
      ? readAddress(attrs, DaemonAttr.MCAST_GROUP6, 'MCAST_GROUP6', 'inet6')
      : undefined;
  return {
    role: lookup(DAEMON_ROLE, attrs.u32(DaemonAttr.STATE, 'STATE'), 'daemon', 'state'),
    interface: attrs.string(DaemonAttr.MCAST_IFN, 'MCAST_IFN'),
    syncId: attrs.u32(DaemonAttr.SYNC_ID, 'SYNC_ID'),
    maxLength: attrs.optU16(DaemonAttr.SYNC_MAXLEN, 'SYNC_MAXLEN') ?? 0,
    port: attrs.optU16(DaemonAttr.MCAST_PORT, 'MCAST_PORT') ?? 0,
    ttl: attrs.optU8(DaemonAttr.MCAST_TTL, 'MCAST_TTL') ?? 0,
    ...(group !== undefined ? { group } : {}),
  };
}

/** The GET_CONFIG reply: timeouts as top-level attributes. */
export function decodeTimeouts(message: Buffer): Timeouts {
  const attrs = AttributeSet.parse(message, 'config message');
  return {
    tcp: attrs.u32(CmdAttr.TIMEOUT_TCP, 'TIMEOUT_TCP'),
    tcpFin: attrs.u32(CmdAttr.TIMEOUT_TCP_FIN, 'TIMEOUT_TCP_FIN'),
    udp: attrs.u32(CmdAttr.TIMEOUT_UDP, 'TIMEOUT_UDP'),
  };
}

/** The GET_INFO reply. */
export function decodeInfo(message: Buffer): IpvsInfo {
  const attrs = AttributeSet.parse(message, 'info message');
  const versionCode = attrs.u32(InfoAttr.VERSION, 'VERSION');
  return {
    version: `${(versionCode >> 16) & 0xff}.${(versionCode >> 8) & 0xff}.${versionCode & 0xff}`,
    versionCode,
    connectionTableSize: attrs.u32(InfoAttr.CONN_TAB_SIZE, 'CONN_TAB_SIZE'),
  };
}
