import {
  CoreV1Api,
  CustomObjectsApi,
  NetworkingV1Api,
  type KubeConfig,
  type KubernetesListObject,
  type V1LoadBalancerIngress,
  type V1Namespace,
  type V1Node,
  type V1Service,
  type V1ServiceCIDR,
} from '@kubernetes/client-node';
import { addressPoolResource, type AddressPool, type AddressPoolStatus } from '../kube/addressPool.js';
import { virtualServerResource, type VirtualServer, type VirtualServerStatus } from '../kube/virtualServer.js';
import { startWatchedCache, type WatchedCache } from '../kube/watchedCache.js';
import type { Logger } from '../log.js';
import { workQueueMetrics, type ControllerMetrics } from '../metrics/controllerMetrics.js';
import { sameConditions, withCondition, type Condition } from './conditions.js';
import type { EventRecorder } from './eventRecorder.js';
import { parseIp, type IpFamily } from './ipam/ipAddress.js';
import { checkPools, poolSize, type PoolCheck } from './ipam/pools.js';
import { VipAllocator, type AllocationRequest } from './ipam/vipAllocator.js';
import { isAlreadyExists, isNotFound, type KubeWriter } from './kubeWriter.js';
import { desiredVirtualServers, isServedService, serviceNameLabel, type ServiceClassConfig } from './serviceVirtualServers.js';
import { virtualServerReadiness } from './virtualServerReadiness.js';
import { WorkQueue } from './workQueue.js';

export const virtualServerFinalizer = 'tsvs.io/vip';
export const serviceFinalizer = 'tsvs.io/load-balancer';

export interface LoadBalancerControllerOptions {
  classConfig: ServiceClassConfig;
  /** Every key is reconciled again this often, whatever the watches said. */
  resyncMs?: number;
}

/**
 * Turns served LoadBalancer Services into VirtualServers, gives every
 * VirtualServer a VIP from the address pools, and writes status back. Three
 * level-triggered loops share one in-memory address book that is rebuilt from
 * VirtualServer status on start.
 */
export class LoadBalancerController {
  private services!: WatchedCache<V1Service>;
  private virtualServers!: WatchedCache<VirtualServer>;
  private pools!: WatchedCache<AddressPool>;
  private namespaces!: WatchedCache<V1Namespace>;
  private nodes!: WatchedCache<V1Node>;
  private serviceCidrs: WatchedCache<V1ServiceCIDR> | undefined;
  private readonly allocator = new VipAllocator();
  private poolCheck: PoolCheck = { usable: [], problems: new Map() };
  /** Nodes whose Ready condition is True: only their speakers' status entries count. */
  private liveNodes: ReadonlySet<string> = new Set();
  /** What the last pool check was computed from: pool specs, node addresses, Service CIDRs. */
  private poolInputs = '';
  /** namespace/Service -> names of the VirtualServers labelled as that Service's, so a Service's reconcile does not scan them all. */
  private readonly virtualServersByService = new Map<string, Set<string>>();
  /**
   * Writes the caches have not shown yet, so that a reconcile running on a stale cache does not
   * repeat them: VirtualServers created (until their watch event), and Service ingress
   * published (with the Service's resourceVersion before the write: a newer one ends it).
   */
  private readonly createdVirtualServers = new Set<string>();
  private readonly publishedIngress = new Map<string, { resourceVersion: string | undefined; ingress: string }>();
  /** VirtualServers whose last allocation failed: queued again whenever an address is freed. */
  private readonly unallocated = new Set<string>();
  /** namespace/VirtualServer -> the namespace/Service its label names, to move it when the label changes. */
  private readonly serviceOfVirtualServer = new Map<string, string>();
  private readonly serviceQueue: WorkQueue;
  private readonly virtualServerQueue: WorkQueue;
  private readonly poolQueue: WorkQueue;
  private resyncTimer: NodeJS.Timeout | undefined;
  /**
   * The status last written per VirtualServer, until the cache shows it: the
   * watch lags our own writes, and without this every write would be repeated
   * once by the reconcile its own event triggers.
   */
  private readonly writtenStatus = new Map<string, string>();
  private started = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly options: LoadBalancerControllerOptions,
    private readonly write: KubeWriter,
    private readonly recordEvent: EventRecorder,
    private readonly metrics: ControllerMetrics,
    private readonly log: Logger,
  ) {
    const timed = (controller: string, handler: (key: string) => Promise<void>) => async (key: string) => {
      const end = metrics.reconcileDuration.startTimer({ controller });
      try {
        await handler(key);
      } catch (err) {
        metrics.reconcileErrors.inc({ controller });
        throw err;
      } finally {
        end();
      }
    };
    this.serviceQueue = new WorkQueue(timed('service', (k) => this.reconcileService(k)), { name: 'service', concurrency: 16 }, log, workQueueMetrics(metrics, 'service'));
    this.virtualServerQueue = new WorkQueue(timed('virtualserver', (k) => this.reconcileVirtualServer(k)), { name: 'virtualserver', concurrency: 16 }, log, workQueueMetrics(metrics, 'virtualserver'));
    this.poolQueue = new WorkQueue(timed('addresspool', (k) => this.reconcilePool(k)), { name: 'addresspool', concurrency: 1 }, log, workQueueMetrics(metrics, 'addresspool'));
  }

  async start(): Promise<void> {
    const core = this.kc.makeApiClient(CoreV1Api);
    const custom = this.kc.makeApiClient(CustomObjectsApi);
    const { group, version } = virtualServerResource;
    const key = (o: { metadata?: { name?: string; namespace?: string } }) => `${o.metadata?.namespace}/${o.metadata?.name}`;
    const refreshPools = () => this.started && this.refreshPools();

    this.namespaces = await startWatchedCache(this.kc, '/api/v1/namespaces', () => core.listNamespace(), {
      onChange: (ns) => {
        if (!this.started) return;
        for (const vs of this.virtualServers.list(ns.metadata?.name)) this.virtualServerQueue.add(key(vs));
      },
    }, this.log);
    this.nodes = await startWatchedCache(
      this.kc,
      '/api/v1/nodes',
      () => core.listNode(),
      {
        onChange: () => {
          if (!this.started) return;
          this.refreshPools();
          this.refreshLiveNodes();
        },
      },
      this.log,
    );
    this.serviceCidrs = await this.watchServiceCidrs(refreshPools);
    this.pools = await startWatchedCache(
      this.kc,
      `/apis/${group}/${version}/${addressPoolResource.plural}`,
      () => custom.listClusterCustomObject({ group, version, plural: addressPoolResource.plural }) as Promise<KubernetesListObject<AddressPool>>,
      {
        onChange: (pool) => {
          if (!this.started) return;
          this.poolQueue.add(pool.metadata.name);
          this.refreshPools();
        },
      },
      this.log,
    );
    this.virtualServers = await startWatchedCache(
      this.kc,
      `/apis/${group}/${version}/${virtualServerResource.plural}`,
      () => custom.listClusterCustomObject({ group, version, plural: virtualServerResource.plural }) as Promise<KubernetesListObject<VirtualServer>>,
      {
        onChange: (vs, change) => {
          this.createdVirtualServers.delete(key(vs));
          this.virtualServerQueue.add(key(vs));
          const owner = this.indexByService(vs, change);
          if (owner !== undefined) this.serviceQueue.add(owner);
        },
      },
      this.log,
    );
    this.services = await startWatchedCache(this.kc, '/api/v1/services', () => core.listServiceForAllNamespaces(), {
      onChange: (svc) => this.serviceQueue.add(key(svc)),
    }, this.log);

    this.refreshPools();
    this.refreshLiveNodes();
    this.restoreAllocations();
    this.started = true;
    for (const svc of this.services.list()) this.serviceQueue.add(key(svc));
    for (const vs of this.virtualServers.list()) this.virtualServerQueue.add(key(vs));
    this.poolQueue.start();
    this.virtualServerQueue.start();
    this.serviceQueue.start();
    this.resyncTimer = setInterval(() => {
      for (const svc of this.services.list()) this.serviceQueue.add(key(svc));
      for (const vs of this.virtualServers.list()) this.virtualServerQueue.add(key(vs));
    }, this.options.resyncMs ?? 5 * 60_000);
    this.log.info({ event: 'controller.synced', services: this.services.list().length, virtualServers: this.virtualServers.list().length, pools: this.poolCheck.usable.length }, 'caches synced, allocations restored');
  }

  async stop(): Promise<void> {
    clearInterval(this.resyncTimer);
    await Promise.all([this.serviceQueue.stop(), this.virtualServerQueue.stop(), this.poolQueue.stop()]);
    await Promise.all([this.services, this.virtualServers, this.pools, this.namespaces, this.nodes, this.serviceCidrs].map((c) => c?.stop()));
  }

  /** Resolves when no work is queued, delayed or running (tests and benchmarks). */
  async idle(): Promise<void> {
    await Promise.all([this.serviceQueue.idle(), this.virtualServerQueue.idle(), this.poolQueue.idle()]);
  }

  /** ServiceCIDR objects (networking.k8s.io/v1) exist from Kubernetes 1.33; older clusters simply have none. */
  private async watchServiceCidrs(onChange: () => void): Promise<WatchedCache<V1ServiceCIDR> | undefined> {
    const api = this.kc.makeApiClient(NetworkingV1Api);
    try {
      return await startWatchedCache(this.kc, '/apis/networking.k8s.io/v1/servicecidrs', () => api.listServiceCIDR(), { onChange }, this.log);
    } catch (err) {
      this.log.warn({ event: 'servicecidrs.unavailable', err: String(err) }, 'cannot watch ServiceCIDRs; pools are not checked against Service addresses');
      return undefined;
    }
  }

  /**
   * Checks the pools again and, when what allocation depends on changed, re-queues every pool
   * and VirtualServer. Only then: each allocation updates its pool's status, and re-queuing
   * every VirtualServer on each such update made allocating N of them cost O(N^2).
   */
  private refreshPools(): void {
    const nodeAddresses = this.nodes.list().flatMap((n) => (n.status?.addresses ?? []).filter((a) => parseIp(a.address)).map((a) => a.address));
    const serviceCidrs = (this.serviceCidrs?.list() ?? []).flatMap((c) => c.spec?.cidrs ?? []);
    const pools = [...this.pools.list()];
    const inputs = JSON.stringify([pools.map((p) => [p.metadata.name, p.metadata.uid, p.metadata.generation]), [...nodeAddresses].sort(), [...serviceCidrs].sort()]);
    if (inputs === this.poolInputs) return;
    this.poolInputs = inputs;
    this.poolCheck = checkPools(pools, { nodeAddresses, serviceCidrs });
    this.allocator.setPools(this.poolCheck.usable);
    for (const pool of this.pools.list()) this.poolQueue.add(pool.metadata.name);
    if (this.started) for (const vs of this.virtualServers.list()) this.virtualServerQueue.add(`${vs.metadata.namespace}/${vs.metadata.name}`);
  }

  /** Replays status.vip of every VirtualServer, oldest first, so a restart keeps every address where it was. */
  private restoreAllocations(): void {
    const withVip = this.virtualServers
      .list()
      .filter((vs) => vs.status?.vip)
      .sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)));
    for (const vs of withVip) {
      const result = this.allocator.restore(holderOf(vs), vs.status!.vip!);
      if (!result.ok) this.log.warn({ event: 'allocation.restore_conflict', key: keyOf(vs), vip: vs.status!.vip, message: result.message }, 'allocation in status clashes; it will be reallocated');
    }
  }

  private async reconcileVirtualServer(key: string): Promise<void> {
    const [namespace = '', name = ''] = key.split('/');
    const vs = this.virtualServers.get(name, namespace);
    if (!vs) {
      this.release(key, undefined);
      return;
    }
    const finalizers = vs.metadata.finalizers ?? [];
    if (vs.metadata.deletionTimestamp) {
      this.release(key, vs);
      if (finalizers.includes(virtualServerFinalizer)) {
        await this.ignoreNotFound(
          this.write.patchVirtualServer(namespace, name, {
            metadata: { finalizers: finalizers.filter((f) => f !== virtualServerFinalizer), resourceVersion: vs.metadata.resourceVersion },
          }),
        );
      }
      return;
    }
    if (!finalizers.includes(virtualServerFinalizer)) {
      await this.write.patchVirtualServer(namespace, name, {
        metadata: { finalizers: [...finalizers, virtualServerFinalizer], resourceVersion: vs.metadata.resourceVersion },
      });
    }
    const request: AllocationRequest = {
      ...holderOf(vs),
      namespaceLabels: this.namespaces.get(namespace)?.metadata?.labels ?? {},
      family: vs.spec.vip !== undefined ? (parseIp(vs.spec.vip)?.family ?? 'IPv4') : (vs.spec.ipFamily ?? 'IPv4'),
      requestedIp: vs.spec.vip,
      pool: vs.spec.pool,
    };
    const previousIp = this.allocator.ipOf(key);
    const result = this.allocator.allocate(request);
    const now = new Date();
    const generation = vs.metadata.generation;
    let status: VirtualServerStatus;
    if (result.ok) {
      status = {
        vip: result.ip,
        conditions: withCondition(vs.status?.conditions, {
          type: 'VIPAllocated',
          status: 'True',
          reason: 'Allocated',
          message: result.pool ? `${result.ip} from pool ${result.pool}` : `${result.ip}`,
          observedGeneration: generation,
        }, now) as VirtualServerStatus['conditions'],
      };
      this.unallocated.delete(key);
      if (result.changed) {
        this.metrics.allocations.inc({ pool: result.pool ?? '', result: 'allocated' });
        this.recordEvent(vs, 'Normal', 'VIPAllocated', `allocated ${result.ip}${result.pool ? ` from pool ${result.pool}` : ''}`);
        if (previousIp !== undefined && previousIp !== result.ip) this.addressFreed(previousIp);
      }
      this.poolQueueForIp(result.ip);
    } else {
      this.unallocated.add(key);
      const conditions = withCondition(vs.status?.conditions, {
        type: 'VIPAllocated',
        status: 'False',
        reason: result.reason,
        message: result.message,
        observedGeneration: generation,
      }, now);
      status = { vip: this.allocator.ipOf(key), conditions: conditions as VirtualServerStatus['conditions'] };
    }
    status.observedGeneration = generation;
    const readiness = virtualServerReadiness({ vipAllocated: result.ok, entries: vs.status?.nodes ?? [], liveNodes: this.liveNodes, generation });
    status.masterNode = readiness.masterNode;
    status.readyRealServers = readiness.readyRealServers;
    status.conditions = withCondition(withCondition(status.conditions, readiness.programmed, now), readiness.ready, now) as VirtualServerStatus['conditions'];
    const wanted = statusKey(status);
    if (statusKey(vs.status ?? {}) === wanted) {
      this.writtenStatus.delete(key);
      return;
    }
    if (this.writtenStatus.get(key) === wanted) return;
    if (!result.ok) {
      // Said once per change of status, not on every retry or resync.
      this.metrics.allocations.inc({ pool: request.pool ?? '', result: result.reason });
      this.recordEvent(vs, 'Warning', result.reason, result.message);
      this.log.warn({ event: 'allocation.failed', key, reason: result.reason, message: result.message }, 'no VIP for VirtualServer');
    }
    // A new VirtualServer is not Ready until speakers report: no event for that first False.
    const wasReady = vs.status?.conditions?.find((c) => c.type === 'Ready');
    if (result.ok && (wasReady ? wasReady.status !== readiness.ready.status || wasReady.reason !== readiness.ready.reason : readiness.ready.status === 'True')) {
      this.recordEvent(vs, readiness.ready.status === 'True' ? 'Normal' : 'Warning', readiness.ready.reason, readiness.ready.message);
    }
    await this.write.applyVirtualServerStatus(namespace, name, {
      ...(status.vip !== undefined && { vip: status.vip }),
      ...(status.masterNode !== undefined && { masterNode: status.masterNode }),
      ...(status.readyRealServers !== undefined && { readyRealServers: status.readyRealServers }),
      observedGeneration: status.observedGeneration,
      conditions: status.conditions?.filter((c) => controllerConditions.includes(c.type)),
    });
    this.writtenStatus.set(key, wanted);
  }

  private release(key: string, vs: VirtualServer | undefined): void {
    this.writtenStatus.delete(key);
    this.unallocated.delete(key);
    const pool = this.allocator.ipOf(key) && this.allocator.poolOf(this.allocator.ipOf(key)!)?.name;
    const ip = this.allocator.release(key);
    if (ip === undefined) return;
    this.metrics.releases.inc({ pool: pool ?? '' });
    if (vs) this.recordEvent(vs, 'Normal', 'VIPReleased', `released ${ip}`);
    this.log.info({ event: 'allocation.released', key, vip: ip }, 'VIP released');
    this.addressFreed(ip);
  }

  private addressFreed(ip: string): void {
    this.poolQueueForIp(ip);
    for (const waiting of this.unallocated) this.virtualServerQueue.add(waiting);
  }

  /** Re-queues every VirtualServer when the set of Ready nodes changed (not on every node heartbeat). */
  private refreshLiveNodes(): void {
    const live = new Set(this.nodes.list().filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((n) => n.metadata!.name!));
    if (live.size === this.liveNodes.size && [...live].every((n) => this.liveNodes.has(n))) return;
    this.liveNodes = live;
    if (this.started) for (const vs of this.virtualServers.list()) this.virtualServerQueue.add(keyOf(vs));
  }

  /** Keeps virtualServersByService current; returns the namespace/Service the VirtualServer's label names, if any. */
  private indexByService(vs: VirtualServer, change: 'add' | 'update' | 'delete'): string | undefined {
    const vsKey = keyOf(vs);
    const label = vs.metadata.labels?.[serviceNameLabel];
    const owner = label === undefined ? undefined : `${vs.metadata.namespace}/${label}`;
    const before = this.serviceOfVirtualServer.get(vsKey);
    const now = change === 'delete' ? undefined : owner;
    if (before !== now) {
      if (before !== undefined) {
        const names = this.virtualServersByService.get(before);
        names?.delete(vs.metadata.name);
        if (names?.size === 0) this.virtualServersByService.delete(before);
      }
      if (now === undefined) this.serviceOfVirtualServer.delete(vsKey);
      else {
        this.serviceOfVirtualServer.set(vsKey, now);
        this.virtualServersByService.set(now, (this.virtualServersByService.get(now) ?? new Set()).add(vs.metadata.name));
      }
    }
    return owner ?? before;
  }

  /** A second's delay folds a burst of allocations into one status write per pool. */
  private poolQueueForIp(ip: string): void {
    const pool = this.allocator.poolOf(ip);
    if (pool) this.poolQueue.addAfter(pool.name, 1000);
  }

  private async reconcileService(key: string): Promise<void> {
    const [namespace = '', name = ''] = key.split('/');
    const service = this.services.get(name, namespace);
    const labelled = [...(this.virtualServersByService.get(key) ?? [])].flatMap((vsName) => this.virtualServers.get(vsName, namespace) ?? []);
    const owned = labelled.filter((vs) => vs.metadata.ownerReferences?.some((o) => o.kind === 'Service' && o.uid === service?.metadata?.uid));
    if (!service || service.metadata?.deletionTimestamp || !isServedService(service, this.options.classConfig)) {
      for (const vs of service ? owned : labelled) await this.ignoreNotFound(this.write.deleteVirtualServer(namespace, vs.metadata.name));
      if (!service) {
        this.publishedIngress.delete(key);
        return;
      }
      const finalizers = service.metadata?.finalizers ?? [];
      if (!service.metadata?.deletionTimestamp && finalizers.includes(serviceFinalizer) && (service.status?.loadBalancer?.ingress?.length ?? 0) > 0) {
        await this.write.patchServiceIngress(namespace, name, []);
      }
      if (finalizers.includes(serviceFinalizer) && owned.every((vs) => !this.virtualServers.get(vs.metadata.name, namespace))) {
        await this.ignoreNotFound(this.write.patchServiceFinalizers(namespace, name, finalizers.filter((f) => f !== serviceFinalizer), service.metadata!.resourceVersion!));
      }
      return;
    }
    const finalizers = service.metadata?.finalizers ?? [];
    if (!finalizers.includes(serviceFinalizer)) {
      await this.write.patchServiceFinalizers(namespace, name, [...finalizers, serviceFinalizer], service.metadata!.resourceVersion!);
    }
    const desired = desiredVirtualServers(service);
    if (!desired.ok) {
      this.recordEvent({ apiVersion: 'v1', kind: 'Service', metadata: service.metadata }, 'Warning', desired.reason, desired.message);
      this.log.warn({ event: 'service.invalid', key, reason: desired.reason, message: desired.message }, 'Service cannot be served as asked; existing VirtualServers are kept');
      return;
    }
    for (const want of desired.virtualServers) {
      const existing = this.virtualServers.get(want.metadata.name, namespace);
      const wantKey = `${namespace}/${want.metadata.name}`;
      if (!existing) {
        if (this.createdVirtualServers.has(wantKey)) continue;
        try {
          await this.write.createVirtualServer({ ...want, metadata: { ...want.metadata, finalizers: [virtualServerFinalizer] } });
          this.createdVirtualServers.add(wantKey);
        } catch (err) {
          if (isAlreadyExists(err)) continue;
          throw err;
        }
      } else if (!existing.metadata.ownerReferences?.some((o) => o.uid === service.metadata?.uid)) {
        this.recordEvent({ apiVersion: 'v1', kind: 'Service', metadata: service.metadata }, 'Warning', 'VirtualServerNameTaken', `VirtualServer ${want.metadata.name} exists and is not owned by this Service`);
      } else if (JSON.stringify(comparableSpec(existing)) !== JSON.stringify(comparableSpec(want))) {
        await this.write.patchVirtualServer(namespace, want.metadata.name, { metadata: { labels: want.metadata.labels }, spec: mergePatchSpec(want) });
      }
    }
    const wanted = new Set(desired.virtualServers.map((vs) => vs.metadata.name));
    for (const vs of owned.filter((o) => !wanted.has(o.metadata.name))) await this.ignoreNotFound(this.write.deleteVirtualServer(namespace, vs.metadata.name));
    const ingress: V1LoadBalancerIngress[] = desired.virtualServers.flatMap((want) => {
      const vip = this.virtualServers.get(want.metadata.name, namespace)?.status?.vip;
      return vip ? [{ ip: vip, ipMode: 'Proxy' }] : [];
    });
    const current = JSON.stringify((service.status?.loadBalancer?.ingress ?? []).map((i) => [i.ip, i.ipMode]));
    const wantedIngress = JSON.stringify(ingress.map((i) => [i.ip, i.ipMode]));
    const published = this.publishedIngress.get(key);
    if (published && (published.resourceVersion !== service.metadata?.resourceVersion || published.ingress !== wantedIngress)) this.publishedIngress.delete(key);
    if (current !== wantedIngress && !this.publishedIngress.has(key)) {
      await this.write.patchServiceIngress(namespace, name, ingress);
      this.publishedIngress.set(key, { resourceVersion: service.metadata?.resourceVersion, ingress: wantedIngress });
      if (ingress.length > 0) {
        this.recordEvent({ apiVersion: 'v1', kind: 'Service', metadata: service.metadata }, 'Normal', 'LoadBalancerIngress', `published ${ingress.map((i) => i.ip).join(', ')}`);
      }
    }
  }

  private async reconcilePool(name: string): Promise<void> {
    const pool = this.pools.get(name);
    if (!pool) return;
    const usable = this.poolCheck.usable.find((p) => p.name === name);
    const problems = this.poolCheck.problems.get(name) ?? [];
    const fatal = problems.find((p) => p.fatal);
    const now = new Date();
    const generation = pool.metadata.generation;
    let conditions = withCondition(pool.status?.conditions as Condition[] | undefined, fatal
      ? { type: 'Ready', status: 'False', reason: fatal.reason, message: fatal.message, observedGeneration: generation }
      : { type: 'Ready', status: 'True', reason: 'Valid', message: 'addresses can be allocated', observedGeneration: generation }, now);
    const warning = problems.find((p) => !p.fatal);
    conditions = withCondition(conditions, warning
      ? { type: 'AddressesReserved', status: 'True', reason: warning.reason, message: warning.message, observedGeneration: generation }
      : { type: 'AddressesReserved', status: 'False', reason: 'None', message: 'no node or Service address is in the pool', observedGeneration: generation }, now);
    const families = (['IPv4', 'IPv6'] as IpFamily[]).flatMap((family) => {
      if (!usable || poolSize(usable, family) === 0n) return [];
      const used = this.allocator.usedIn(usable, family);
      this.metrics.poolAddresses.set({ pool: name, family }, Number(poolSize(usable, family)));
      this.metrics.poolAddressesUsed.set({ pool: name, family }, used);
      return [{ family, total: poolSize(usable, family).toString(), used }];
    });
    const status: AddressPoolStatus = { observedGeneration: generation, used: families.reduce((n, f) => n + f.used, 0), families, conditions: conditions as AddressPoolStatus['conditions'] };
    const before = pool.status;
    const changed = before?.used !== status.used || before?.observedGeneration !== generation || JSON.stringify(before?.families ?? []) !== JSON.stringify(families) || !sameConditions(before?.conditions as Condition[] | undefined, conditions);
    if (!changed) return;
    if (fatal && !sameConditions(before?.conditions as Condition[] | undefined, conditions)) {
      this.recordEvent({ ...pool, metadata: { ...pool.metadata, namespace: 'default' } }, 'Warning', fatal.reason, fatal.message);
    }
    await this.ignoreNotFound(this.write.patchAddressPoolStatus(name, status));
  }

  private async ignoreNotFound(request: Promise<unknown>): Promise<void> {
    try {
      await request;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** The conditions the controller writes; speakers and the webhook write their own fields. */
const controllerConditions = ['VIPAllocated', 'Programmed', 'Ready'];

/** What the controller owns of a VirtualServer's status, as a string for comparison (condition times left out). */
function statusKey(status: VirtualServerStatus): string {
  const conditions = controllerConditions.map((type) => {
    const c = status.conditions?.find((x) => x.type === type);
    return c ? [c.status, c.reason, c.message, c.observedGeneration] : null;
  });
  return JSON.stringify([status.vip ?? null, status.observedGeneration ?? null, status.masterNode ?? null, status.readyRealServers ?? null, conditions]);
}

function keyOf(vs: VirtualServer): string {
  return `${vs.metadata.namespace}/${vs.metadata.name}`;
}

function holderOf(vs: VirtualServer) {
  return { key: keyOf(vs), sharingKey: vs.spec.sharingKey, ports: vs.spec.ports.map((p) => `${p.protocol ?? 'TCP'}/${p.port}`) };
}

/** The spec fields the Service controller sets, with the API server's defaults filled, to tell real changes from none. */
function comparableSpec(vs: VirtualServer) {
  const s = vs.spec;
  return {
    vip: s.vip,
    pool: s.pool,
    ipFamily: s.ipFamily,
    sharingKey: s.sharingKey,
    realServerPortRedirect: s.realServerPortRedirect ?? false,
    forwardingMethod: s.forwardingMethod ?? 'DR',
    ports: s.ports.map((p) => ({ name: p.name, protocol: p.protocol ?? 'TCP', port: p.port, targetPort: p.targetPort, scheduler: p.scheduler, schedulerFlags: p.schedulerFlags })),
    realServers: s.realServers,
  };
}

/** A JSON merge patch that makes the spec equal the desired one: fields the desired spec lacks are removed (null). */
function mergePatchSpec(want: VirtualServer) {
  const s = want.spec;
  return { ...s, vip: s.vip ?? null, pool: s.pool ?? null, sharingKey: s.sharingKey ?? null, realServerPortRedirect: s.realServerPortRedirect ?? false };
}
