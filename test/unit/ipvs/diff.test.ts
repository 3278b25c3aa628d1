import { describe, expect, it } from 'vitest';
import { writeTarget } from '../../../src/ipvs/commands.js';
import { drainKey, planTable, type ActualService, type DesiredService, type DrainState, type OwnedSet, type Plan } from '../../../src/ipvs/diff.js';
import type { DestinationConfig, ServiceConfig } from '../../../src/ipvs/types.js';

const NOW = 1_000_000;
const TIMEOUT = 15 * 60_000;
const noFlags = { flag1: false, flag2: false, flag3: false };

function service(over: Partial<ServiceConfig> = {}): ServiceConfig {
  return {
    protocol: 'tcp',
    address: '10.0.0.1',
    port: 80,
    scheduler: 'mh',
    schedulerFlags: { flag1: true, flag2: true, flag3: false },
    persistent: false,
    persistenceTimeout: 0,
    netmask: 32,
    onePacket: false,
    ...over,
  } as ServiceConfig;
}

function dest(address: string, over: Partial<DestinationConfig> = {}): DestinationConfig {
  return { address, port: 80, forwarding: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0, ...over };
}

type Live = DestinationConfig & { activeConnections: number; inactiveConnections: number };
function live(d: DestinationConfig, activeConnections = 0, inactiveConnections = 0): Live {
  return { ...d, activeConnections, inactiveConnections };
}

const desiredOf = (s: ServiceConfig, ...destinations: DestinationConfig[]): DesiredService => ({ service: s, destinations });
const actualOf = (s: ServiceConfig, ...destinations: Live[]): ActualService => ({ ...s, destinations });

const owns = (addresses: string[] = ['10.0.0.1'], fwmarks: number[] = []): OwnedSet => ({ addresses: new Set(addresses), fwmarks: new Set(fwmarks) });

function plan(desired: DesiredService[], actual: ActualService[], options: { owned?: OwnedSet; drain?: DrainState; now?: number } = {}): Plan {
  return planTable(desired, actual, options.owned ?? owns(), options.drain ?? new Map(), options.now ?? NOW, { drainTimeoutMs: TIMEOUT });
}

/** "kind target (reason)" per write, for readable expectations. */
const lines = (p: Plan): string[] => p.writes.map((w) => `${w.kind} ${writeTarget(w)} (${w.reason})`);

describe('planTable: services', () => {
  it('does nothing when both tables are empty, or already equal', () => {
    expect(lines(plan([], []))).toEqual([]);
    expect(lines(plan([desiredOf(service(), dest('10.1.0.1'))], [actualOf(service(), live(dest('10.1.0.1'), 5, 5))]))).toEqual([]);
  });

  it('adds a new service, then its destinations', () => {
    const p = plan([desiredOf(service(), dest('10.1.0.2'), dest('10.1.0.1'))], []);
    expect(lines(p)).toEqual([
      'add-service tcp 10.0.0.1:80 (new-service)',
      'add-destination tcp 10.0.0.1:80 -> 10.1.0.1:80 (new-destination)',
      'add-destination tcp 10.0.0.1:80 -> 10.1.0.2:80 (new-destination)',
    ]);
    expect(p.writes[0]).toEqual({ kind: 'add-service', service: service(), reason: 'new-service' });
  });

  it.each<[string, Partial<ServiceConfig>]>([
    ['scheduler', { scheduler: 'wlc' }],
    ['mh fallback flag', { schedulerFlags: { flag1: false, flag2: true, flag3: false } }],
    ['mh port flag', { schedulerFlags: { flag1: true, flag2: false, flag3: false } }],
    ['flag 3', { schedulerFlags: { flag1: true, flag2: true, flag3: true } }],
    ['persistence', { persistent: true }],
    ['persistence timeout', { persistenceTimeout: 600 }],
    ['netmask', { netmask: 24 }],
    ['one-packet scheduling', { onePacket: true }],
    ['persistence engine', { persistenceEngine: 'sip' }],
  ])('edits the service in place when only its %s changed', (_field, change) => {
    const p = plan([desiredOf(service(change), dest('10.1.0.1'))], [actualOf(service(), live(dest('10.1.0.1')))]);
    expect(p.writes).toEqual([{ kind: 'update-service', service: service(change), reason: 'service-changed' }]);
  });

  it('removes a persistence engine in place', () => {
    const p = plan([desiredOf(service())], [actualOf(service({ persistenceEngine: 'sip' }))]);
    expect(lines(p)).toEqual(['update-service tcp 10.0.0.1:80 (service-changed)']);
  });

  it('deletes an owned service that is no longer desired, without draining it', () => {
    const p = plan([], [actualOf(service(), live(dest('10.1.0.1'), 9, 9))]);
    expect(lines(p)).toEqual(['delete-service tcp 10.0.0.1:80 (service-removed)']);
    expect(p.drain.size).toBe(0);
  });

  it('never touches a service that is not owned, whatever it contains', () => {
    const foreign = service({ address: '192.168.5.5', port: 443, scheduler: 'rr', schedulerFlags: noFlags });
    const p = plan([desiredOf(service(), dest('10.1.0.1'))], [actualOf(service(), live(dest('10.1.0.1'))), actualOf(foreign, live(dest('10.9.9.9'), 3, 0))]);
    expect(lines(p)).toEqual([]);
    expect(lines(plan([], [actualOf(foreign)]))).toEqual([]);
  });

  it('owns every service on an owned VIP, and none on other VIPs', () => {
    const otherPort = service({ port: 8080 });
    const otherVip = service({ address: '10.0.0.2' });
    expect(lines(plan([], [actualOf(otherPort), actualOf(otherVip)]))).toEqual(['delete-service tcp 10.0.0.1:8080 (service-removed)']);
  });

  it('owns fwmark services by mark and family-independently, and leaves other marks alone', () => {
    const mine = service({ protocol: 'fwmark', family: 'inet', fwmark: 10 } as Partial<ServiceConfig>);
    const mine6 = service({ protocol: 'fwmark', family: 'inet6', fwmark: 10, netmask: 128 } as Partial<ServiceConfig>);
    const theirs = service({ protocol: 'fwmark', family: 'inet', fwmark: 11 } as Partial<ServiceConfig>);
    const p = plan([], [actualOf(mine), actualOf(mine6), actualOf(theirs)], { owned: owns([], [10]) });
    expect(lines(p)).toEqual(['delete-service fwmark 10 (inet) (service-removed)', 'delete-service fwmark 10 (inet6) (service-removed)']);
  });

  it('counts desired services as owned even when their VIP is not in the owned set', () => {
    const p = plan([desiredOf(service({ address: '10.0.0.50' }))], [actualOf(service({ address: '10.0.0.50', scheduler: 'rr' }))], { owned: owns([]) });
    expect(lines(p)).toEqual(['update-service tcp 10.0.0.50:80 (service-changed)']);
  });

  it('treats a protocol or port change as another service: add the new, delete the old', () => {
    const p = plan([desiredOf(service({ protocol: 'udp' }), dest('10.1.0.1'))], [actualOf(service(), live(dest('10.1.0.1')))]);
    expect(lines(p)).toEqual([
      'add-service udp 10.0.0.1:80 (new-service)',
      'add-destination udp 10.0.0.1:80 -> 10.1.0.1:80 (new-destination)',
      'delete-service tcp 10.0.0.1:80 (service-removed)',
    ]);
  });

  it('edits both a changed service and its changed destinations in place, never deleting and re-adding', () => {
    const p = plan([desiredOf(service({ scheduler: 'wrr' }), dest('10.1.0.1', { weight: 5 }))], [actualOf(service(), live(dest('10.1.0.1'), 1, 1))]);
    expect(p.writes.map((w) => w.kind)).toEqual(['update-service', 'update-destination']);
  });

  it('refuses a desired table listing a service or a destination twice', () => {
    expect(() => plan([desiredOf(service()), desiredOf(service())], [])).toThrow('lists a service twice');
    expect(() => plan([desiredOf(service(), dest('10.1.0.1'), dest('10.1.0.1'))], [])).toThrow('lists a destination twice');
  });
});

describe('planTable: destinations', () => {
  const base = service();

  it.each<[string, Partial<DestinationConfig>]>([
    ['weight', { weight: 3 }],
    ['weight to zero', { weight: 0 }],
    ['upper threshold', { upperThreshold: 100 }],
    ['lower threshold', { lowerThreshold: 10 }],
    ['forwarding to NAT', { forwarding: 'nat' }],
    ['forwarding to an IPIP tunnel', { forwarding: 'tunnel', tunnel: { type: 'ipip', port: 0, checksum: false, remoteChecksum: false } }],
  ])('edits a destination in place when its %s changed', (_field, change) => {
    const p = plan([desiredOf(base, dest('10.1.0.1', change))], [actualOf(base, live(dest('10.1.0.1'), 2, 2))]);
    expect(p.writes).toEqual([{ kind: 'update-destination', service: { protocol: 'tcp', address: '10.0.0.1', port: 80 }, destination: dest('10.1.0.1', change), reason: 'destination-changed' }]);
  });

  it.each<[string, DestinationConfig['tunnel']]>([
    ['type', { type: 'gre', port: 0, checksum: false, remoteChecksum: false }],
    ['port', { type: 'gue', port: 6081, checksum: false, remoteChecksum: false }],
    ['checksum', { type: 'gue', port: 6080, checksum: true, remoteChecksum: false }],
    ['remote checksum', { type: 'gue', port: 6080, checksum: false, remoteChecksum: true }],
  ])('edits a tunnel destination in place when its tunnel %s changed', (_field, tunnel) => {
    const gue = dest('10.1.0.1', { forwarding: 'tunnel', tunnel: { type: 'gue', port: 6080, checksum: false, remoteChecksum: false } });
    const p = plan([desiredOf(base, { ...gue, tunnel })], [actualOf(base, live(gue))]);
    expect(lines(p)).toEqual(['update-destination tcp 10.0.0.1:80 -> 10.1.0.1:80 (destination-changed)']);
  });

  it('edits a tunnel destination back to DR', () => {
    const ipip = dest('10.1.0.1', { forwarding: 'tunnel', tunnel: { type: 'ipip', port: 0, checksum: false, remoteChecksum: false } });
    const p = plan([desiredOf(base, dest('10.1.0.1'))], [actualOf(base, live(ipip))]);
    expect(p.writes[0]).toMatchObject({ kind: 'update-destination', destination: dest('10.1.0.1') });
    expect('tunnel' in ((p.writes[0] as { destination: DestinationConfig }).destination)).toBe(false);
  });

  it('adds a new destination to an existing service and leaves the others alone', () => {
    const p = plan([desiredOf(base, dest('10.1.0.1'), dest('10.1.0.2'))], [actualOf(base, live(dest('10.1.0.1'), 4, 0))]);
    expect(lines(p)).toEqual(['add-destination tcp 10.0.0.1:80 -> 10.1.0.2:80 (new-destination)']);
  });

  it('treats a destination port change as a new destination plus the removal of the old one', () => {
    const p = plan([desiredOf(base, dest('10.1.0.1', { port: 8080 }))], [actualOf(base, live(dest('10.1.0.1')))]);
    expect(lines(p)).toEqual(['add-destination tcp 10.0.0.1:80 -> 10.1.0.1:8080 (new-destination)', 'delete-destination tcp 10.0.0.1:80 -> 10.1.0.1:80 (removed-idle)']);
  });
});

describe('planTable: graceful drain of removed destinations', () => {
  const base = service();
  const key = drainKey(base, dest('10.1.0.2'));

  it('deletes an idle removed destination at once', () => {
    const p = plan([desiredOf(base, dest('10.1.0.1'))], [actualOf(base, live(dest('10.1.0.1')), live(dest('10.1.0.2'), 0, 0))]);
    expect(lines(p)).toEqual(['delete-destination tcp 10.0.0.1:80 -> 10.1.0.2:80 (removed-idle)']);
    expect(p.drain.size).toBe(0);
  });

  it.each([
    ['active', 1, 0],
    ['inactive', 0, 1],
  ])('starts a drain (weight 0) for a removed TCP destination with %s connections', (_kind, active, inactive) => {
    const p = plan([desiredOf(base, dest('10.1.0.1'))], [actualOf(base, live(dest('10.1.0.1')), live(dest('10.1.0.2', { weight: 4, upperThreshold: 9 }), active, inactive))]);
    expect(p.writes).toEqual([
      { kind: 'update-destination', service: { protocol: 'tcp', address: '10.0.0.1', port: 80 }, destination: dest('10.1.0.2', { weight: 0, upperThreshold: 9 }), reason: 'drain-start' },
    ]);
    expect([...p.drain]).toEqual([[key, { since: NOW }]]);
  });

  it('continues a drain without writing while connections remain, keeping the start time', () => {
    const drain = new Map([[key, { since: NOW - 60_000 }]]);
    const p = plan([desiredOf(base)], [actualOf(base, live(dest('10.1.0.2', { weight: 0 }), 3, 1))], { drain });
    expect(p.writes).toEqual([]);
    expect(p.drain.get(key)).toEqual({ since: NOW - 60_000 });
  });

  it('starts a drain without a write for a destination that already had weight 0', () => {
    const p = plan([desiredOf(base)], [actualOf(base, live(dest('10.1.0.2', { weight: 0 }), 3, 1))]);
    expect(p.writes).toEqual([]);
    expect(p.drain.get(key)).toEqual({ since: NOW });
  });

  it('sets weight 0 again when something raised it during the drain', () => {
    const drain = new Map([[key, { since: NOW - 1 }]]);
    const p = plan([desiredOf(base)], [actualOf(base, live(dest('10.1.0.2', { weight: 2 }), 1, 0))], { drain });
    expect(lines(p)).toEqual(['update-destination tcp 10.0.0.1:80 -> 10.1.0.2:80 (drain-weight-reasserted)']);
    expect(p.drain.get(key)).toEqual({ since: NOW - 1 });
  });

  it('finishes the drain by deleting once the connections are gone', () => {
    const drain = new Map([[key, { since: NOW - 60_000 }]]);
    const p = plan([desiredOf(base)], [actualOf(base, live(dest('10.1.0.2', { weight: 0 }), 0, 0))], { drain });
    expect(lines(p)).toEqual(['delete-destination tcp 10.0.0.1:80 -> 10.1.0.2:80 (drained)']);
    expect(p.drain.size).toBe(0);
  });

  it('deletes when the drain timeout has passed, connections or not, and not a millisecond earlier', () => {
    const atTimeout = plan([desiredOf(base)], [actualOf(base, live(dest('10.1.0.2', { weight: 0 }), 7, 7))], { drain: new Map([[key, { since: NOW - TIMEOUT }]]) });
    expect(lines(atTimeout)).toEqual(['delete-destination tcp 10.0.0.1:80 -> 10.1.0.2:80 (drain-timeout)']);
    expect(atTimeout.drain.size).toBe(0);
    const before = plan([desiredOf(base)], [actualOf(base, live(dest('10.1.0.2', { weight: 0 }), 7, 7))], { drain: new Map([[key, { since: NOW - TIMEOUT + 1 }]]) });
    expect(before.writes).toEqual([]);
  });

  it('restores a destination that comes back during its drain, in place, and forgets the drain', () => {
    const drain = new Map([[key, { since: NOW - 5_000 }]]);
    const p = plan([desiredOf(base, dest('10.1.0.2', { weight: 3 }))], [actualOf(base, live(dest('10.1.0.2', { weight: 0 }), 5, 0))], { drain });
    expect(p.writes).toEqual([
      { kind: 'update-destination', service: { protocol: 'tcp', address: '10.0.0.1', port: 80 }, destination: dest('10.1.0.2', { weight: 3 }), reason: 'destination-returned' },
    ]);
    expect(p.drain.size).toBe(0);
  });

  it('forgets the drain of a destination that comes back wanting weight 0, with no write', () => {
    const drain = new Map([[key, { since: NOW - 5_000 }]]);
    const p = plan([desiredOf(base, dest('10.1.0.2', { weight: 0 }))], [actualOf(base, live(dest('10.1.0.2', { weight: 0 }), 5, 0))], { drain });
    expect(p.writes).toEqual([]);
    expect(p.drain.size).toBe(0);
  });

  it.each(['udp', 'sctp'] as const)('deletes a removed %s destination at once, even with connections', (protocol) => {
    const s = service({ protocol });
    const p = plan([desiredOf(s)], [actualOf(s, live(dest('10.1.0.2'), 10, 10))]);
    expect(lines(p)).toEqual([`delete-destination ${protocol} 10.0.0.1:80 -> 10.1.0.2:80 (removed-no-drain)`]);
    expect(p.drain.size).toBe(0);
  });

  it('drains fwmark services like TCP (the kernel runs them as TCP)', () => {
    const s = service({ protocol: 'fwmark', family: 'inet', fwmark: 5 } as Partial<ServiceConfig>);
    const p = plan([desiredOf(s)], [actualOf(s, live(dest('10.1.0.2'), 1, 0))], { owned: owns([], [5]) });
    expect(lines(p)).toEqual(['update-destination fwmark 5 (inet) -> 10.1.0.2:80 (drain-start)']);
  });

  it('drops drain entries of destinations or services that are gone from the kernel', () => {
    const drain = new Map([
      [key, { since: NOW - 1 }],
      [drainKey(service({ port: 81 }), dest('10.1.0.3')), { since: NOW - 1 }],
    ]);
    const p = plan([desiredOf(base)], [actualOf(base)], { drain });
    expect(p.writes).toEqual([]);
    expect(p.drain.size).toBe(0);
  });

  it('drains IPv6 destinations of IPv6 services the same way', () => {
    const s6 = service({ address: '2001:db8::10', netmask: 128 });
    const p = plan([desiredOf(s6, dest('2001:db8::21'))], [actualOf(s6, live(dest('2001:db8::21')), live(dest('2001:db8::22'), 2, 0))], { owned: owns(['2001:db8::10']) });
    expect(lines(p)).toEqual(['update-destination tcp [2001:db8::10]:80 -> [2001:db8::22]:80 (drain-start)']);
    expect([...p.drain.keys()]).toEqual([drainKey(s6, dest('2001:db8::22'))]);
  });
});

describe('planTable: IPv6', () => {
  const s6 = service({ address: '2001:db8::10', netmask: 128 });

  it('adds, edits and deletes IPv6 services and destinations', () => {
    const added = plan([desiredOf(s6, dest('2001:db8::21'))], [], { owned: owns(['2001:db8::10']) });
    expect(lines(added)).toEqual(['add-service tcp [2001:db8::10]:80 (new-service)', 'add-destination tcp [2001:db8::10]:80 -> [2001:db8::21]:80 (new-destination)']);
    const edited = plan([desiredOf({ ...s6, netmask: 64 }, dest('2001:db8::21', { weight: 9 }))], [actualOf(s6, live(dest('2001:db8::21')))], { owned: owns(['2001:db8::10']) });
    expect(edited.writes.map((w) => w.reason)).toEqual(['service-changed', 'destination-changed']);
    expect(lines(plan([], [actualOf(s6)], { owned: owns(['2001:db8::10']) }))).toEqual(['delete-service tcp [2001:db8::10]:80 (service-removed)']);
  });
});

describe('planTable: order, determinism, scale', () => {
  it('orders service setup, destination additions and edits, drains and deletions, then service deletions', () => {
    const a = service({ port: 1 });
    const b = service({ port: 2, scheduler: 'rr', schedulerFlags: noFlags });
    const gone = service({ port: 3 });
    const p = plan(
      [desiredOf(b, dest('10.1.0.1', { weight: 2 })), desiredOf(a, dest('10.1.0.1'))],
      [actualOf(gone), actualOf(service({ port: 2 }), live(dest('10.1.0.1')), live(dest('10.1.0.9'), 1, 0))],
    );
    expect(lines(p)).toEqual([
      'add-service tcp 10.0.0.1:1 (new-service)',
      'update-service tcp 10.0.0.1:2 (service-changed)',
      'add-destination tcp 10.0.0.1:1 -> 10.1.0.1:80 (new-destination)',
      'update-destination tcp 10.0.0.1:2 -> 10.1.0.1:80 (destination-changed)',
      'update-destination tcp 10.0.0.1:2 -> 10.1.0.9:80 (drain-start)',
      'delete-service tcp 10.0.0.1:3 (service-removed)',
    ]);
  });

  it('gives the same writes whatever the order of its inputs, and leaves them unmodified', () => {
    const desired = [3, 1, 2].map((port) => desiredOf(service({ port }), dest('10.1.0.2'), dest('10.1.0.1')));
    const actual = [2, 4, 1].map((port) => actualOf(service({ port, scheduler: 'rr' }), live(dest('10.1.0.3'), 1, 0), live(dest('10.1.0.1'))));
    const snapshot = JSON.stringify([desired, actual]);
    const first = lines(plan(desired, actual));
    const second = lines(plan([...desired].reverse(), [...actual].reverse()));
    expect(second).toEqual(first);
    expect(JSON.stringify([desired, actual])).toBe(snapshot);
  });

  it('writes only what changed: one weight among 2000 services of 10 destinations is one write', () => {
    const services = Array.from({ length: 2000 }, (_, i) => service({ address: `10.${10 + (i >> 8)}.${i & 255}.1` }));
    const dests = Array.from({ length: 10 }, (_, j) => dest(`10.1.0.${j + 1}`));
    const actual = services.map((s) => actualOf(s, ...dests.map((d) => live(d, 1, 1))));
    const desired = services.map((s) => desiredOf(s, ...dests));
    const owned = owns(services.map((s) => (s as { address: string }).address));
    expect(plan(desired, actual, { owned }).writes).toEqual([]);
    const changed = desired.map((entry, i) => (i === 1234 ? { ...entry, destinations: entry.destinations.map((d, j) => (j === 7 ? { ...d, weight: 5 } : d)) } : entry));
    expect(lines(plan(changed, actual, { owned }))).toEqual(['update-destination tcp 10.14.210.1:80 -> 10.1.0.8:80 (destination-changed)']);
  });
});
