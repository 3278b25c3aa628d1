import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { serviceId } from '../ipvs/diff.js';
import type { TableEntry } from '../ipvs/types.js';

const prefix = 'tsvs_speaker_';

/** The last IPVS stats dump, with what names its services and real servers. */
export interface IpvsStatsSnapshot {
  table: readonly TableEntry[];
  /** namespace/name of the VirtualServer of each service id. */
  owners: ReadonlyMap<string, string>;
  /** The pod of each real-server address. */
  pods: ReadonlyMap<string, string>;
}

type ServiceLabels = 'namespace' | 'virtualserver' | 'vip' | 'port' | 'protocol';
type RealServerLabels = ServiceLabels | 'real_server' | 'pod';

export type SpeakerMetrics = ReturnType<typeof createSpeakerMetrics>;

/** The speaker's metrics, registered on registry, plus Node process metrics prefixed tsvs_. */
export function createSpeakerMetrics(registry: Registry) {
  const registers = [registry];
  collectDefaultMetrics({ register: registry, prefix: 'tsvs_' });
  let snapshot: IpvsStatsSnapshot = { table: [], owners: new Map(), pods: new Map() };

  const serviceLabels = (entry: TableEntry): Record<ServiceLabels, string> => {
    const [namespace = '', virtualserver = ''] = (snapshot.owners.get(serviceId(entry)) ?? '/').split('/');
    return entry.protocol === 'fwmark'
      ? { namespace, virtualserver, vip: '', port: '', protocol: `fwmark ${entry.fwmark}` }
      : { namespace, virtualserver, vip: entry.address, port: String(entry.port), protocol: entry.protocol };
  };
  // Kernel counters, read from the last dump when scraped: they only grow while the service lives.
  const serviceCounter = (name: string, help: string, stat: keyof TableEntry['stats']) =>
    new Counter<ServiceLabels>({
      name: `${prefix}ipvs_service_${name}_total`,
      help,
      labelNames: ['namespace', 'virtualserver', 'vip', 'port', 'protocol'],
      registers,
      collect() {
        this.reset();
        for (const entry of snapshot.table) this.inc(serviceLabels(entry), Number(entry.stats[stat]));
      },
    });
  const realServerCounter = (name: string, help: string, stat: keyof TableEntry['stats']) =>
    new Counter<RealServerLabels>({
      name: `${prefix}ipvs_real_server_${name}_total`,
      help,
      labelNames: ['namespace', 'virtualserver', 'vip', 'port', 'protocol', 'real_server', 'pod'],
      registers,
      collect() {
        this.reset();
        for (const entry of snapshot.table)
          for (const d of entry.destinations) this.inc({ ...serviceLabels(entry), real_server: `${d.address}:${d.port}`, pod: snapshot.pods.get(d.address) ?? '' }, Number(d.stats[stat]));
      },
    });

  return {
    setIpvsStats(next: IpvsStatsSnapshot): void {
      snapshot = next;
    },
    vrrpState: new Gauge({ name: `${prefix}vrrp_state`, help: 'State of a VRRP instance on this node: 1 backup, 2 master (absent: not running)', labelNames: ['family', 'vrid'] as const, registers }),
    vrrpPriority: new Gauge({ name: `${prefix}vrrp_priority`, help: "This node's VRRP priority in a group", labelNames: ['family', 'vrid'] as const, registers }),
    vrrpTransitions: new Counter({ name: `${prefix}vrrp_transitions_total`, help: 'VRRP state changes by the state entered', labelNames: ['family', 'vrid', 'to'] as const, registers }),
    announcements: new Counter({ name: `${prefix}gratuitous_announcements_total`, help: 'Gratuitous ARPs (IPv4) and unsolicited neighbour advertisements (IPv6) sent', labelNames: ['family'] as const, registers }),
    failoverDuration: new Histogram({
      name: `${prefix}failover_duration_seconds`,
      help: 'From becoming VRRP master to the tier-1 IPVS table programmed',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    syncDuration: new Histogram({ name: `${prefix}sync_duration_seconds`, help: 'One pass from the cached objects to the applied table', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers }),
    syncErrors: new Counter({ name: `${prefix}sync_errors_total`, help: 'Passes that failed and will be retried', registers }),
    ipvsWrites: new Counter({ name: `${prefix}ipvs_writes_total`, help: 'IPVS writes by outcome', labelNames: ['result'] as const, registers }),
    vanishedServices: new Counter({
      name: `${prefix}ipvs_services_vanished_total`,
      help: 'IPVS services of ours that someone else deleted (and we created again), e.g. kube-proxy in IPVS mode without the pools in its excludeCIDRs',
      labelNames: ['namespace', 'virtualserver'] as const,
      registers,
    }),
    rejectedVirtualServers: new Gauge({ name: `${prefix}rejected_virtual_servers`, help: 'VirtualServers this speaker cannot program (reason in its log and their status)', registers }),
    healthChecks: new Counter({ name: `${prefix}health_checks_total`, help: 'Health-check probes of real servers by result', labelNames: ['namespace', 'virtualserver', 'result'] as const, registers }),
    failingRealServers: new Gauge({ name: `${prefix}failing_real_servers`, help: 'Real servers taken out by their health check', labelNames: ['namespace', 'virtualserver'] as const, registers }),
    statusWriteErrors: new Counter({ name: `${prefix}status_write_errors_total`, help: 'VirtualServer status writes that failed and will be retried', registers }),
    ipvsCounters: [
      serviceCounter('connections', 'Connections scheduled by an IPVS virtual service on this node', 'connections'),
      serviceCounter('packets_in', 'Packets into an IPVS virtual service on this node', 'packetsIn'),
      serviceCounter('bytes_in', 'Bytes into an IPVS virtual service on this node', 'bytesIn'),
      realServerCounter('connections', 'Connections an IPVS virtual service on this node sent to a real server', 'connections'),
      realServerCounter('packets_in', 'Packets an IPVS virtual service on this node sent to a real server', 'packetsIn'),
      realServerCounter('bytes_in', 'Bytes an IPVS virtual service on this node sent to a real server', 'bytesIn'),
    ],
    activeConnections: new Gauge<RealServerLabels>({
      name: `${prefix}ipvs_real_server_active_connections`,
      help: 'Active connections of a real server in an IPVS virtual service on this node',
      labelNames: ['namespace', 'virtualserver', 'vip', 'port', 'protocol', 'real_server', 'pod'],
      registers,
      collect() {
        this.reset();
        for (const entry of snapshot.table)
          for (const d of entry.destinations) this.set({ ...serviceLabels(entry), real_server: `${d.address}:${d.port}`, pod: snapshot.pods.get(d.address) ?? '' }, d.activeConnections);
      },
    }),
  };
}
