import type { V1EndpointSlice, V1Node, V1Pod } from '@kubernetes/client-node';
import type { DesiredService } from '../ipvs/diff.js';
import { serviceId } from '../ipvs/diff.js';
import type { DestinationConfig, ServiceConfig } from '../ipvs/types.js';
import { realServersOf, type RealServer } from './desired/realServers.js';
import { persistencePrefix, readVirtualServer, type HealthCheckSpec, type SpeakerVirtualServer, type VirtualServerPortSpec } from './desired/virtualServerInput.js';
import { defaultVrid, eligibleNode, groupKey, nodePriority } from './desired/vrrpGroups.js';
import type { IpFamily } from './net/ipAddress.js';
import type { VrrpStateName } from './vrrp/stateMachine.js';

/**
 * What this node should run, decided from the cluster's objects and the node's own VRRP
 * states and health checks (DESIGN.md, "Data flow"): the VRRP instances, the VIPs held on
 * the dummy device while backup, and the IPVS table in two tiers. Pure; speaker.ts applies it.
 */

export interface NodeStateInput {
  nodeName: string;
  /** VirtualServer objects as the API server sent them; each is validated here. */
  virtualServers: readonly unknown[];
  endpointSlices: readonly V1EndpointSlice[];
  pods: readonly V1Pod[];
  nodes: readonly V1Node[];
  /** Verdicts of this speaker's health checks by healthKey; a real server without one has not failed yet, so it counts. */
  health: ReadonlyMap<string, boolean>;
  /** The state of each VRRP instance this node runs, by groupKey. */
  roles: ReadonlyMap<string, VrrpStateName>;
  /** Advertisement interval of a group whose VirtualServers set none. */
  defaultAdvertIntervalMs: number;
}

export interface VrrpInstance {
  family: IpFamily;
  vrid: number;
  priority: number;
  advertIntervalMs: number;
  /** Canonical VIPs, sorted. */
  addresses: string[];
}

export interface HealthTarget {
  key: string;
  /** namespace/name of the VirtualServer whose check this is. */
  virtualServer: string;
  address: string;
  port: number;
  check: HealthCheckSpec;
}

export type NodeRole = 'Master' | 'Backup';

/** This node's part in one VirtualServer, for its status entry. */
export interface VirtualServerNodeState {
  key: string;
  namespace: string;
  name: string;
  vip: string;
  family: IpFamily;
  vrid: number;
  role: NodeRole;
  /** Distinct real servers this node's table sends to. */
  realServers: number;
  message: string;
}

export interface NodeState {
  instances: VrrpInstance[];
  /** VIPs to keep on the dummy device while not master: those with local ready real servers. */
  heldWhileBackup: string[];
  table: DesiredService[];
  /** Every VIP of an accepted VirtualServer: the IPVS services on them are tsvs's. */
  vips: string[];
  healthTargets: HealthTarget[];
  virtualServers: VirtualServerNodeState[];
  rejected: Array<{ key: string; reason: string }>;
  /** For metrics labels: the VirtualServer (namespace/name) of each IPVS service id, the pod of each real-server address. */
  owners: Map<string, string>;
  pods: Map<string, string>;
}

export function healthKey(virtualServer: string, address: string, port: number): string {
  return `${virtualServer} ${address} ${port}`;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface Accepted {
  vs: SpeakerVirtualServer;
  /** Persistence prefix of each port, in port order. */
  netmasks: number[];
}

/** Parses every object and checks what a single object can get wrong. */
function accept(objects: readonly unknown[], rejected: NodeState['rejected']): Accepted[] {
  const accepted: Accepted[] = [];
  for (const object of objects) {
    const input = readVirtualServer(object);
    if (input.kind === 'rejected') rejected.push({ key: input.key, reason: input.reason });
    if (input.kind !== 'accepted') continue;
    const vs = input.virtualServer;
    const netmasks = vs.ports.map((port) => persistencePrefix(port.persistence?.netmask, vs.family));
    const invalid = netmasks.find((n) => typeof n !== 'number');
    if (invalid !== undefined && typeof invalid !== 'number') {
      rejected.push({ key: vs.key, reason: invalid.error });
      continue;
    }
    accepted.push({ vs, netmasks: netmasks as number[] });
  }
  // Oldest first: on a conflict the VirtualServer that was there first keeps what it had.
  return accepted.sort((a, b) => a.vs.createdAt - b.vs.createdAt || byText(a.vs.key, b.vs.key));
}

/**
 * VRIDs of the VIPs (the oldest VirtualServer that names a group decides its VIP's group,
 * else the VIP's default), and the VirtualServers that clash: a different group for a VIP,
 * or a VIP:port already served.
 */
function resolveConflicts(accepted: Accepted[], rejected: NodeState['rejected']): { kept: Accepted[]; vridOf: Map<string, number> } {
  const explicit = new Map<string, { vrid: number; by: string }>();
  for (const { vs } of accepted) if (vs.vrrpGroup !== undefined && !explicit.has(vs.vip)) explicit.set(vs.vip, { vrid: vs.vrrpGroup, by: vs.key });
  const vridOf = new Map<string, number>();
  const servedBy = new Map<string, string>();
  const kept: Accepted[] = [];
  for (const entry of accepted) {
    const { vs } = entry;
    const group = explicit.get(vs.vip);
    if (group && vs.vrrpGroup !== undefined && vs.vrrpGroup !== group.vrid) {
      rejected.push({ key: vs.key, reason: `VIP ${vs.vip} is in VRRP group ${group.vrid} (set by ${group.by}); this VirtualServer asks for group ${vs.vrrpGroup}` });
      continue;
    }
    const endpoint = (p: VirtualServerPortSpec) => `${p.port}/${p.protocol}`;
    const taken = vs.ports.find((p) => servedBy.has(`${vs.vip} ${endpoint(p)}`));
    if (taken) {
      rejected.push({ key: vs.key, reason: `VIP ${vs.vip} port ${endpoint(taken)} is already served by ${servedBy.get(`${vs.vip} ${endpoint(taken)}`)}` });
      continue;
    }
    for (const p of vs.ports) servedBy.set(`${vs.vip} ${endpoint(p)}`, vs.key);
    vridOf.set(vs.vip, group?.vrid ?? defaultVrid(vs.vip));
    kept.push(entry);
  }
  return { kept, vridOf };
}

function schedulerFlagsOf(port: VirtualServerPortSpec): ServiceConfig['schedulerFlags'] {
  // Maglev over address and port unless told otherwise (DESIGN.md, data flow step 5), with
  // fallback: a draining real server (weight 0) keeps its slots in the Maglev table, so
  // without it new connections hashed there would find no real server at all.
  const flags = port.schedulerFlags ?? (port.scheduler === 'mh' ? ['fallback', 'port'] : []);
  return { flag1: flags.includes('fallback'), flag2: flags.includes('port'), flag3: false };
}

function serviceOf(vs: SpeakerVirtualServer, port: VirtualServerPortSpec, netmask: number): ServiceConfig {
  return {
    protocol: port.protocol === 'TCP' ? 'tcp' : port.protocol === 'UDP' ? 'udp' : 'sctp',
    address: vs.vip,
    port: port.port,
    scheduler: port.scheduler,
    schedulerFlags: schedulerFlagsOf(port),
    persistent: port.persistence !== undefined,
    persistenceTimeout: port.persistence?.timeoutSeconds ?? 0,
    netmask,
    onePacket: false,
  };
}

function destinationOf(vs: SpeakerVirtualServer, port: VirtualServerPortSpec, server: RealServer): DestinationConfig {
  const common = { address: server.address, weight: 1, upperThreshold: 0, lowerThreshold: 0 };
  switch (vs.forwardingMethod) {
    // DR and TUN cannot change the port: the kernel keeps the virtual service's (ipvsadm forces it too).
    case 'DR':
      return { ...common, port: port.port, forwarding: 'dr' };
    case 'TUN':
      return { ...common, port: port.port, forwarding: 'tunnel', tunnel: { type: 'ipip', port: 0, checksum: false, remoteChecksum: false } };
    case 'NAT':
      return { ...common, port: server.targetPort, forwarding: 'nat' };
  }
}

function roleMessage(role: NodeRole, programmed: number, held: boolean): string {
  if (role === 'Master') return `tier 1: VIP on this node's interface, ${programmed} real server(s)`;
  if (held) return `tier 2: ${programmed} local real server(s)`;
  return 'backup without local real servers: VIP not held';
}

/** Groups objects by a key once per pass, so that each VirtualServer looks at its own only. */
function indexBy<T>(items: readonly T[], key: (item: T) => string | undefined): Map<string, T[]> {
  const index = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    const list = index.get(k);
    if (list) list.push(item);
    else index.set(k, [item]);
  }
  return index;
}

export function desiredNodeState(input: NodeStateInput): NodeState {
  const slicesByService = indexBy(input.endpointSlices, (s) => `${s.metadata?.namespace}/${s.metadata?.labels?.['kubernetes.io/service-name']}`);
  const podsByNamespace = indexBy(input.pods, (p) => p.metadata?.namespace);
  const rejected: NodeState['rejected'] = [];
  const { kept, vridOf } = resolveConflicts(accept(input.virtualServers, rejected), rejected);
  const eligible = input.nodes.filter(eligibleNode).map((n) => n.metadata?.name ?? '').filter(Boolean);

  const groups = new Map<string, VrrpInstance>();
  for (const { vs } of kept) {
    const vrid = vridOf.get(vs.vip) as number;
    const key = groupKey(vs.family, vrid);
    const interval = vs.advertIntervalMs ?? input.defaultAdvertIntervalMs;
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { family: vs.family, vrid, priority: nodePriority(key, input.nodeName, eligible), advertIntervalMs: interval, addresses: [vs.vip] });
      continue;
    }
    // One group, one interval: the shortest any of its VirtualServers asks for.
    group.advertIntervalMs = Math.min(group.advertIntervalMs, interval);
    if (!group.addresses.includes(vs.vip)) group.addresses.push(vs.vip);
  }
  for (const group of groups.values()) group.addresses.sort(byText);

  const table: DesiredService[] = [];
  const held = new Set<string>();
  const healthTargets = new Map<string, HealthTarget>();
  const virtualServers: VirtualServerNodeState[] = [];
  const owners = new Map<string, string>();
  const pods = new Map<string, string>();
  for (const { vs, netmasks } of kept) {
    const vrid = vridOf.get(vs.vip) as number;
    const master = input.roles.get(groupKey(vs.family, vrid)) === 'master';
    const programmed = new Set<string>();
    vs.ports.forEach((port, index) => {
      const slices = 'serviceName' in vs.realServers ? (slicesByService.get(`${vs.namespace}/${vs.realServers.serviceName}`) ?? []) : [];
      const servers = realServersOf(vs, port, slices, podsByNamespace.get(vs.namespace) ?? []);
      const checkPort = (server: RealServer) => vs.healthCheck?.port ?? server.targetPort;
      const passing = servers.filter((server) => server.ready && (vs.healthCheck === undefined || input.health.get(healthKey(vs.key, server.address, checkPort(server))) !== false));
      // Tier 1 on the master: every real server. Tier 2 elsewhere: this node's own.
      const isLocal = (server: RealServer) => server.nodeName === input.nodeName;
      const used = master ? passing : passing.filter(isLocal);
      if (vs.healthCheck) {
        for (const server of servers.filter((s) => s.ready && (master || isLocal(s)))) {
          const key = healthKey(vs.key, server.address, checkPort(server));
          healthTargets.set(key, { key, virtualServer: vs.key, address: server.address, port: checkPort(server), check: vs.healthCheck });
        }
      }
      if (!master && used.length === 0) return;
      if (!master) held.add(vs.vip);
      const service = serviceOf(vs, port, netmasks[index] as number);
      owners.set(serviceId(service), vs.key);
      table.push({ service, destinations: used.map((server) => destinationOf(vs, port, server)) });
      for (const server of used) {
        programmed.add(server.address);
        if (server.pod !== undefined) pods.set(server.address, server.pod);
      }
    });
    const role: NodeRole = master ? 'Master' : 'Backup';
    virtualServers.push({
      key: vs.key,
      namespace: vs.namespace,
      name: vs.name,
      vip: vs.vip,
      family: vs.family,
      vrid,
      role,
      realServers: programmed.size,
      message: roleMessage(role, programmed.size, held.has(vs.vip)),
    });
  }

  return {
    instances: [...groups.values()].sort((a, b) => a.family - b.family || a.vrid - b.vrid),
    heldWhileBackup: [...held].sort(byText),
    table,
    vips: [...new Set(kept.map(({ vs }) => vs.vip))].sort(byText),
    healthTargets: [...healthTargets.values()],
    virtualServers,
    rejected,
    owners,
    pods,
  };
}
