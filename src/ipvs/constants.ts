// Numbers of the IPVS generic netlink family (include/uapi/linux/ip_vs.h) and of the
// netlink framing around it (include/uapi/linux/netlink.h). See TECH.md §1.

export const IPVS_FAMILY_NAME = 'IPVS';
export const IPVS_FAMILY_VERSION = 1;

/** IPVS_CMD_*. FLUSH (17) is deliberately absent: it deletes every service on the node, and tsvs owns only what it created. */
export const Command = {
  NEW_SERVICE: 1,
  SET_SERVICE: 2,
  DEL_SERVICE: 3,
  GET_SERVICE: 4,
  NEW_DEST: 5,
  SET_DEST: 6,
  DEL_DEST: 7,
  GET_DEST: 8,
  NEW_DAEMON: 9,
  DEL_DAEMON: 10,
  GET_DAEMON: 11,
  SET_CONFIG: 12,
  GET_CONFIG: 13,
  SET_INFO: 14,
  GET_INFO: 15,
  ZERO: 16,
} as const;
export type CommandNumber = (typeof Command)[keyof typeof Command];

export const CommandName: Record<CommandNumber, string> = Object.fromEntries(
  Object.entries(Command).map(([name, value]) => [value, name]),
) as Record<CommandNumber, string>;

/** IPVS_CMD_ATTR_*: top-level attributes. */
export const CmdAttr = { SERVICE: 1, DEST: 2, DAEMON: 3, TIMEOUT_TCP: 4, TIMEOUT_TCP_FIN: 5, TIMEOUT_UDP: 6 } as const;

/** IPVS_SVC_ATTR_*. */
export const SvcAttr = {
  AF: 1,
  PROTOCOL: 2,
  ADDR: 3,
  PORT: 4,
  FWMARK: 5,
  SCHED_NAME: 6,
  FLAGS: 7,
  TIMEOUT: 8,
  NETMASK: 9,
  STATS: 10,
  PE_NAME: 11,
  STATS64: 12,
} as const;

/** IPVS_DEST_ATTR_*. */
export const DestAttr = {
  ADDR: 1,
  PORT: 2,
  FWD_METHOD: 3,
  WEIGHT: 4,
  U_THRESH: 5,
  L_THRESH: 6,
  ACTIVE_CONNS: 7,
  INACT_CONNS: 8,
  PERSIST_CONNS: 9,
  STATS: 10,
  ADDR_FAMILY: 11,
  STATS64: 12,
  TUN_TYPE: 13,
  TUN_PORT: 14,
  TUN_FLAGS: 15,
} as const;

/** IPVS_DAEMON_ATTR_*. */
export const DaemonAttr = {
  STATE: 1,
  MCAST_IFN: 2,
  SYNC_ID: 3,
  SYNC_MAXLEN: 4,
  MCAST_GROUP: 5,
  MCAST_GROUP6: 6,
  MCAST_PORT: 7,
  MCAST_TTL: 8,
} as const;

/** IPVS_STATS_ATTR_*; PAD (11) only aligns the u64 that follows it. */
export const StatsAttr = {
  CONNS: 1,
  INPKTS: 2,
  OUTPKTS: 3,
  INBYTES: 4,
  OUTBYTES: 5,
  CPS: 6,
  INPPS: 7,
  OUTPPS: 8,
  INBPS: 9,
  OUTBPS: 10,
  PAD: 11,
} as const;

/** IPVS_INFO_ATTR_*. */
export const InfoAttr = { VERSION: 1, CONN_TAB_SIZE: 2 } as const;

export const AF_INET = 2;
export const AF_INET6 = 10;

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;

/** IP_VS_SVC_F_*. HASHED is set by the kernel on every hashed service and is never ours to send. */
export const SvcFlag = { PERSISTENT: 0x1, HASHED: 0x2, ONEPACKET: 0x4, SCHED1: 0x8, SCHED2: 0x10, SCHED3: 0x20 } as const;

/** IP_VS_CONN_F_* forwarding methods (the low three bits of FWD_METHOD). */
export const Forwarding = { MASQ: 0, LOCALNODE: 1, TUNNEL: 2, DROUTE: 3, BYPASS: 4 } as const;
export const FORWARDING_MASK = 0x7;

/** IP_VS_CONN_F_TUNNEL_TYPE_*. */
export const TunnelType = { IPIP: 0, GUE: 1, GRE: 2 } as const;

/** IP_VS_TUNNEL_ENCAP_FLAG_* (NOCSUM is the absence of both). */
export const TunnelFlag = { CSUM: 0x1, REMCSUM: 0x2 } as const;

/** IP_VS_STATE_* of the connection sync daemon. */
export const DaemonState = { MASTER: 1, BACKUP: 2 } as const;

// Netlink framing.
export const NLMSG_HDRLEN = 16;
export const GENL_HDRLEN = 4;
export const NLA_HDRLEN = 4;
export const NlmsgType = { NOOP: 1, ERROR: 2, DONE: 3, OVERRUN: 4 } as const;
export const NlmFlag = { REQUEST: 0x1, MULTI: 0x2, ACK: 0x4, DUMP: 0x300 } as const;
/** nla_type carries these two flag bits above the 14-bit type. */
export const NLA_TYPE_MASK = 0x3fff;
export const NLA_F_NESTED = 0x8000;
