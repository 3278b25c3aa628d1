// The table of the IPVS lab test in tsvs's typed form. ipvs-table.rules is the same table in
// ipvsadm's syntax: every kind of service (TCP, UDP, SCTP, fwmark; IPv4 and IPv6) and of real
// server (DR, NAT, IPIP, GUE with port and remote checksum, GRE with checksum: ipvsadm refuses
// remote checksum with GRE), schedulers
// with flags (mh-fallback, mh-port, sh-fallback), persistence with netmasks, one-packet
// scheduling, weights and thresholds.
import type { DestinationConfig, ServiceConfig } from '../../../src/ipvs/types.js';

const none = { flag1: false, flag2: false, flag3: false };
const plain = { schedulerFlags: none, persistent: false, persistenceTimeout: 0, onePacket: false };
const dr = (address: string, port: number, extra: Partial<DestinationConfig> = {}): DestinationConfig => ({
  address,
  port,
  forwarding: 'dr',
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
  ...extra,
});
const noTunnelFlags = { port: 0, checksum: false, remoteChecksum: false };

export interface LabService {
  service: ServiceConfig;
  destinations: DestinationConfig[];
}

export const labTable: LabService[] = [
  {
    service: { protocol: 'tcp', address: '10.10.0.1', port: 80, scheduler: 'mh', ...plain, schedulerFlags: { flag1: true, flag2: true, flag3: false }, netmask: 32 },
    destinations: [dr('10.20.0.1', 80), dr('10.20.0.2', 80, { weight: 2, upperThreshold: 100, lowerThreshold: 10 })],
  },
  {
    service: { protocol: 'tcp', address: '10.10.0.1', port: 443, scheduler: 'wrr', ...plain, persistent: true, persistenceTimeout: 300, netmask: 24 },
    destinations: [dr('10.20.0.3', 8443, { forwarding: 'nat', weight: 5 }), dr('10.20.0.4', 443, { forwarding: 'tunnel', tunnel: { type: 'ipip', ...noTunnelFlags } })],
  },
  {
    service: { protocol: 'udp', address: '10.10.0.2', port: 53, scheduler: 'rr', ...plain, onePacket: true, netmask: 32 },
    destinations: [
      dr('10.20.0.5', 53, { forwarding: 'nat' }),
      dr('10.20.0.6', 53, { forwarding: 'tunnel', tunnel: { type: 'gue', port: 6080, checksum: false, remoteChecksum: true } }),
    ],
  },
  {
    service: { protocol: 'sctp', address: '10.10.0.3', port: 9000, scheduler: 'sh', ...plain, schedulerFlags: { flag1: true, flag2: false, flag3: false }, netmask: 32 },
    destinations: [dr('10.20.0.7', 9000, { forwarding: 'tunnel', tunnel: { type: 'gre', port: 0, checksum: true, remoteChecksum: false } })],
  },
  {
    service: { protocol: 'fwmark', family: 'inet', fwmark: 7, scheduler: 'wlc', ...plain, netmask: 32 },
    destinations: [dr('10.20.0.8', 0)],
  },
  {
    service: { protocol: 'tcp', address: '2001:db8::10', port: 80, scheduler: 'lc', ...plain, persistent: true, persistenceTimeout: 600, netmask: 64 },
    destinations: [dr('2001:db8::20', 80), dr('2001:db8::21', 8080, { forwarding: 'nat', weight: 3, upperThreshold: 50, lowerThreshold: 5 })],
  },
  {
    service: { protocol: 'fwmark', family: 'inet6', fwmark: 8, scheduler: 'sed', ...plain, netmask: 128 },
    destinations: [dr('2001:db8::22', 0, { forwarding: 'tunnel', tunnel: { type: 'ipip', ...noTunnelFlags } })],
  },
  {
    service: { protocol: 'udp', address: '2001:db8::11', port: 5353, scheduler: 'nq', ...plain, netmask: 128 },
    destinations: [],
  },
];
