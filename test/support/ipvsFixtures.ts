import type { ServiceConfig, Stats } from '../../src/ipvs/types.js';

/** IPVS counters, zero unless given. */
export function ipvsStats(counts: Partial<Stats> = {}): Stats {
  return {
    connections: 0n,
    packetsIn: 0n,
    packetsOut: 0n,
    bytesIn: 0n,
    bytesOut: 0n,
    connectionsPerSecond: 0n,
    packetsInPerSecond: 0n,
    packetsOutPerSecond: 0n,
    bytesInPerSecond: 0n,
    bytesOutPerSecond: 0n,
    ...counts,
  };
}

/** A plain TCP round-robin virtual service on 10.0.0.1. */
export function roundRobinService(port: number): ServiceConfig {
  return {
    protocol: 'tcp',
    address: '10.0.0.1',
    port,
    scheduler: 'rr',
    schedulerFlags: { flag1: false, flag2: false, flag3: false },
    persistent: false,
    persistenceTimeout: 0,
    netmask: 32,
    onePacket: false,
  };
}

/** A TCP virtual service as tsvs programs it by default: Maglev over address and port with fallback, no persistence. */
export function maglevService(address: string, port = 80): ServiceConfig {
  return {
    protocol: 'tcp',
    address,
    port,
    scheduler: 'mh',
    schedulerFlags: { flag1: true, flag2: true, flag3: false },
    persistent: false,
    persistenceTimeout: 0,
    netmask: 32,
    onePacket: false,
  };
}
