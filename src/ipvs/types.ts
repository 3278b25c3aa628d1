// The typed model of the IPVS table. Addresses are canonical text (RFC 5952 for IPv6) so
// that equal addresses compare equal as strings; ports are plain numbers.

export type Family = 'inet' | 'inet6';
export type Protocol = 'tcp' | 'udp' | 'sctp';

/** A virtual service identified by protocol, address and port. */
export interface AddressServiceKey {
  protocol: Protocol;
  address: string;
  port: number;
}

/** A virtual service identified by a firewall mark (the kernel treats it as TCP). */
export interface FwmarkServiceKey {
  protocol: 'fwmark';
  family: Family;
  fwmark: number;
}

export type ServiceKey = AddressServiceKey | FwmarkServiceKey;

/** IP_VS_SVC_F_SCHED1..3. For sh and mh, flag1 is "fallback" and flag2 is "port" (hash the source port too). */
export interface SchedulerFlags {
  flag1: boolean;
  flag2: boolean;
  flag3: boolean;
}

/** Everything SET_SERVICE can change in place. */
export interface ServiceSettings {
  /** Scheduler module name without the ip_vs_ prefix (rr, wrr, mh...), or "none". */
  scheduler: string;
  schedulerFlags: SchedulerFlags;
  /** IP_VS_SVC_F_PERSISTENT. */
  persistent: boolean;
  /** Persistence timeout in seconds. */
  persistenceTimeout: number;
  /** Persistence granularity as a prefix length: 0-32 for IPv4, 1-128 for IPv6 (32/128 = per client address). */
  netmask: number;
  /** IP_VS_SVC_F_ONEPACKET: schedule each UDP datagram on its own. */
  onePacket: boolean;
  /** Persistence engine ("sip"), absent for none. */
  persistenceEngine?: string;
}

export type ServiceConfig = ServiceKey & ServiceSettings;

export type ForwardingMethod = 'nat' | 'local' | 'tunnel' | 'dr' | 'bypass';
export type TunnelType = 'ipip' | 'gue' | 'gre';

export interface TunnelSettings {
  type: TunnelType;
  /** UDP port of the GUE encapsulation (0 for ipip and gre). */
  port: number;
  /** IP_VS_TUNNEL_ENCAP_FLAG_CSUM. */
  checksum: boolean;
  /** IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM. */
  remoteChecksum: boolean;
}

export interface DestinationKey {
  address: string;
  port: number;
}

/** Everything SET_DEST can change in place. */
export interface DestinationSettings {
  forwarding: ForwardingMethod;
  weight: number;
  /** Upper connection threshold, 0 = none. */
  upperThreshold: number;
  /** Lower connection threshold, 0 = none. */
  lowerThreshold: number;
  /** Present exactly when forwarding is "tunnel". */
  tunnel?: TunnelSettings;
}

export type DestinationConfig = DestinationKey & DestinationSettings;

/** Counters and rates; 64-bit in the kernel, hence bigint. */
export interface Stats {
  connections: bigint;
  packetsIn: bigint;
  packetsOut: bigint;
  bytesIn: bigint;
  bytesOut: bigint;
  connectionsPerSecond: bigint;
  packetsInPerSecond: bigint;
  packetsOutPerSecond: bigint;
  bytesInPerSecond: bigint;
  bytesOutPerSecond: bigint;
}

export type ServiceEntry = ServiceConfig & { stats: Stats };

/** A dumped destination without its stats. */
export type DestinationState = DestinationConfig & {
  activeConnections: number;
  inactiveConnections: number;
  persistentConnections: number;
};

export type DestinationEntry = DestinationState & { stats: Stats };

/** A dumped service with its destinations. */
export type TableEntry = ServiceEntry & { destinations: DestinationEntry[] };

/** A dumped service with its destinations, stats left out (what reconciling needs, cheaper to decode). */
export type TableState = ServiceConfig & { destinations: DestinationState[] };

/** Connection timeouts in seconds. When setting, 0 or absent leaves a value unchanged. */
export interface Timeouts {
  tcp: number;
  tcpFin: number;
  udp: number;
}

export type DaemonRole = 'master' | 'backup';

export interface SyncDaemonConfig {
  role: DaemonRole;
  /** Interface the sync messages use. */
  interface: string;
  syncId: number;
  /** Maximum payload per sync message (0 = the kernel's default from the MTU). */
  maxLength?: number;
  /** Multicast group, IPv4 or IPv6 (the kernel defaults to 224.0.0.81). */
  group?: string;
  port?: number;
  ttl?: number;
}

export interface IpvsInfo {
  /** "major.minor.patch" of IPVS (not of the kernel). */
  version: string;
  versionCode: number;
  connectionTableSize: number;
}
