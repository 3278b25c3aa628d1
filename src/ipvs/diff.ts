// Decides the writes that turn the actual IPVS table into the desired one, touching only
// owned services, editing in place where IPVS allows, and draining removed real servers
// (TECH.md §2, after kube-proxy's graceful_termination.go). Pure: no I/O, no clock.

import type { IpvsWrite } from './commands.js';
import type { DestinationConfig, DestinationKey, DestinationSettings, ServiceConfig, ServiceKey, ServiceSettings } from './types.js';

export interface DesiredService {
  service: ServiceConfig;
  destinations: DestinationConfig[];
}

/** What the diff needs of a dumped service (a TableEntry fits). */
export type ActualService = ServiceConfig & {
  destinations: Array<DestinationConfig & { activeConnections: number; inactiveConnections: number }>;
};

/** Services tsvs may touch: those on these VIPs or with these marks. Desired services are owned too. */
export interface OwnedSet {
  addresses: ReadonlySet<string>;
  fwmarks: ReadonlySet<number>;
}

/** When the drain of a removed real server started (ms), keyed by drainKey(service, destination). */
export type DrainState = ReadonlyMap<string, { since: number }>;

export interface DiffOptions {
  /** A draining TCP real server is deleted this long after its drain started, connections or not. */
  drainTimeoutMs: number;
}

export type WriteReason =
  | 'new-service'
  | 'service-changed'
  | 'service-removed'
  | 'new-destination'
  | 'destination-changed'
  | 'destination-returned'
  | 'drain-start'
  | 'drain-weight-reasserted'
  | 'drained'
  | 'drain-timeout'
  | 'removed-idle'
  | 'removed-no-drain';

export type PlannedWrite = IpvsWrite & { reason: WriteReason };

export interface Plan {
  writes: PlannedWrite[];
  drain: Map<string, { since: number }>;
}

export function serviceId(key: ServiceKey): string {
  return key.protocol === 'fwmark' ? `fwmark/${key.family}/${key.fwmark}` : `${key.protocol}/${key.address}/${key.port}`;
}

export function destinationId(key: DestinationKey): string {
  return `${key.address}/${key.port}`;
}

export function drainKey(service: ServiceKey, destination: DestinationKey): string {
  return `${serviceId(service)} ${destinationId(destination)}`;
}

export function serviceKeyOf(service: ServiceKey): ServiceKey {
  return service.protocol === 'fwmark'
    ? { protocol: 'fwmark', family: service.family, fwmark: service.fwmark }
    : { protocol: service.protocol, address: service.address, port: service.port };
}

function serviceConfigOf(service: ServiceConfig): ServiceConfig {
  return {
    ...serviceKeyOf(service),
    scheduler: service.scheduler,
    schedulerFlags: { ...service.schedulerFlags },
    persistent: service.persistent,
    persistenceTimeout: service.persistenceTimeout,
    netmask: service.netmask,
    onePacket: service.onePacket,
    ...(service.persistenceEngine !== undefined ? { persistenceEngine: service.persistenceEngine } : {}),
  };
}

function destinationConfigOf(destination: DestinationConfig): DestinationConfig {
  return {
    address: destination.address,
    port: destination.port,
    forwarding: destination.forwarding,
    weight: destination.weight,
    upperThreshold: destination.upperThreshold,
    lowerThreshold: destination.lowerThreshold,
    ...(destination.tunnel ? { tunnel: { ...destination.tunnel } } : {}),
  };
}

export function sameServiceSettings(a: ServiceSettings, b: ServiceSettings): boolean {
  return (
    a.scheduler === b.scheduler &&
    a.schedulerFlags.flag1 === b.schedulerFlags.flag1 &&
    a.schedulerFlags.flag2 === b.schedulerFlags.flag2 &&
    a.schedulerFlags.flag3 === b.schedulerFlags.flag3 &&
    a.persistent === b.persistent &&
    a.persistenceTimeout === b.persistenceTimeout &&
    a.netmask === b.netmask &&
    a.onePacket === b.onePacket &&
    a.persistenceEngine === b.persistenceEngine
  );
}

export function sameDestinationSettings(a: DestinationSettings, b: DestinationSettings): boolean {
  const tunnelsMatch =
    a.tunnel === undefined || b.tunnel === undefined
      ? a.tunnel === b.tunnel
      : a.tunnel.type === b.tunnel.type && a.tunnel.port === b.tunnel.port && a.tunnel.checksum === b.tunnel.checksum && a.tunnel.remoteChecksum === b.tunnel.remoteChecksum;
  return a.forwarding === b.forwarding && a.weight === b.weight && a.upperThreshold === b.upperThreshold && a.lowerThreshold === b.lowerThreshold && tunnelsMatch;
}

function isOwned(service: ServiceKey, owned: OwnedSet, desiredIds: ReadonlyMap<string, unknown>): boolean {
  if (desiredIds.has(serviceId(service))) return true;
  return service.protocol === 'fwmark' ? owned.fwmarks.has(service.fwmark) : owned.addresses.has(service.address);
}

// UDP and SCTP flows have no close to wait for (kube-proxy deletes them at once; expire_nodest_conn
// drops their entries on the next packet). TCP, and fwmark services which IPVS runs as TCP, drain.
const drainsGracefully = (service: ServiceKey): boolean => service.protocol === 'tcp' || service.protocol === 'fwmark';

const byId = <T>(id: (item: T) => string) => (a: T, b: T) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0);

/**
 * The ordered writes from `actual` to `desired`, and the drain state to keep for next time.
 * Order: services added or changed; destinations added, changed or returned; drains and
 * deletions of destinations; services deleted. Services that are not owned are left alone.
 * Desired services and destinations must be unique and use canonical addresses (see schema.ts).
 */
export function planTable(desired: readonly DesiredService[], actual: readonly ActualService[], owned: OwnedSet, drain: DrainState, now: number, options: DiffOptions): Plan {
  const desiredById = new Map(desired.map((entry) => [serviceId(entry.service), entry]));
  if (desiredById.size !== desired.length) throw new Error('planTable: the desired table lists a service twice');
  const actualById = new Map(actual.map((service) => [serviceId(service), service]));

  const serviceWrites: PlannedWrite[] = [];
  const destinationWrites: PlannedWrite[] = [];
  const drainWrites: PlannedWrite[] = [];
  const deleteWrites: PlannedWrite[] = [];
  const nextDrain = new Map<string, { since: number }>();

  for (const entry of [...desired].sort(byId((e) => serviceId(e.service)))) {
    const key = serviceKeyOf(entry.service);
    const current = actualById.get(serviceId(key));
    if (!current) {
      serviceWrites.push({ kind: 'add-service', service: serviceConfigOf(entry.service), reason: 'new-service' });
    } else if (!sameServiceSettings(current, entry.service)) {
      serviceWrites.push({ kind: 'update-service', service: serviceConfigOf(entry.service), reason: 'service-changed' });
    }

    const wanted = new Map(entry.destinations.map((d) => [destinationId(d), d]));
    if (wanted.size !== entry.destinations.length) throw new Error(`planTable: service ${serviceId(key)} lists a destination twice`);
    const present = new Map((current?.destinations ?? []).map((d) => [destinationId(d), d]));

    for (const destination of [...entry.destinations].sort(byId(destinationId))) {
      const existing = present.get(destinationId(destination));
      const returning = drain.has(drainKey(key, destination));
      if (!existing) {
        destinationWrites.push({ kind: 'add-destination', service: key, destination: destinationConfigOf(destination), reason: 'new-destination' });
      } else if (!sameDestinationSettings(existing, destination)) {
        destinationWrites.push({
          kind: 'update-destination',
          service: key,
          destination: destinationConfigOf(destination),
          reason: returning ? 'destination-returned' : 'destination-changed',
        });
      }
    }

    for (const existing of [...present.values()].sort(byId(destinationId))) {
      if (wanted.has(destinationId(existing))) continue;
      const dkey = drainKey(key, existing);
      const started = drain.get(dkey);
      const destination: DestinationKey = { address: existing.address, port: existing.port };
      if (!drainsGracefully(key)) {
        drainWrites.push({ kind: 'delete-destination', service: key, destination, reason: 'removed-no-drain' });
      } else if (existing.activeConnections + existing.inactiveConnections === 0) {
        drainWrites.push({ kind: 'delete-destination', service: key, destination, reason: started ? 'drained' : 'removed-idle' });
      } else if (started && now - started.since >= options.drainTimeoutMs) {
        drainWrites.push({ kind: 'delete-destination', service: key, destination, reason: 'drain-timeout' });
      } else {
        nextDrain.set(dkey, started ?? { since: now });
        if (existing.weight !== 0) {
          drainWrites.push({
            kind: 'update-destination',
            service: key,
            destination: { ...destinationConfigOf(existing), weight: 0 },
            reason: started ? 'drain-weight-reasserted' : 'drain-start',
          });
        }
      }
    }
  }

  for (const current of [...actual].sort(byId(serviceId))) {
    if (desiredById.has(serviceId(current)) || !isOwned(current, owned, desiredById)) continue;
    deleteWrites.push({ kind: 'delete-service', service: serviceKeyOf(current), reason: 'service-removed' });
  }

  return { writes: [...serviceWrites, ...destinationWrites, ...drainWrites, ...deleteWrites], drain: nextDrain };
}
