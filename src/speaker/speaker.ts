import type { V1EndpointSlice, V1Node, V1Pod } from '@kubernetes/client-node';
import { backoffDelayMs } from '../controllers/workQueue.js';
import type { Logger } from '../log.js';
import type { SpeakerMetrics } from '../metrics/speakerMetrics.js';
import { groupKey } from './desired/vrrpGroups.js';
import { HealthChecker } from './health/healthChecker.js';
import { probe as realProbe, type ProbeResult, type ProbeTarget } from './health/probes.js';
import { ipFamily, type IpFamily } from './net/ipAddress.js';
import type { NodeKernel, NodeKernelHooks, TableApplied } from './nodeKernel.js';
import { desiredNodeState, type NodeState, type VrrpInstance } from './nodeState.js';
import { speakerStatuses } from './nodeStatus.js';
import type { StatusPublisher } from './statusPublisher.js';
import type { VrrpInstanceSettings } from './vrrp/config.js';
import type { VrrpStateName } from './vrrp/stateMachine.js';

/** The cluster as the speaker's caches last saw it (kept while the API server is unreachable). */
export interface SpeakerSources {
  virtualServers(): readonly unknown[];
  endpointSlices(): readonly V1EndpointSlice[];
  pods(): readonly V1Pod[];
  nodes(): readonly V1Node[];
}

export interface SpeakerOptions {
  nodeName: string;
  defaultAdvertIntervalMs: number;
  /** A full pass this often even without events: finishes drains, repairs drift. */
  resyncIntervalMs: number;
  /** IPVS counters are read this often for the metrics. */
  statsIntervalMs: number;
}

export interface SpeakerDependencies {
  sources: SpeakerSources;
  createKernel(hooks: NodeKernelHooks): NodeKernel;
  /** Absent: no status is written (a node that may not write to the API). */
  status?: StatusPublisher;
  metrics: SpeakerMetrics;
  log: Logger;
  probe?: (target: ProbeTarget) => Promise<ProbeResult>;
}

const stateValue: Record<VrrpStateName, number> = { init: 0, backup: 1, master: 2 };

function instanceSettings(instance: VrrpInstance): VrrpInstanceSettings {
  return {
    vrid: instance.vrid,
    priority: instance.priority,
    advertIntervalMs: instance.advertIntervalMs,
    preempt: true,
    preemptDelayMs: 0,
    addresses: instance.addresses,
    checksum: 'pseudo-header',
  };
}

/**
 * One node's speaker: on every change of the cluster, of a VRRP state or of a health verdict
 * it recomputes the node's desired state (nodeState.ts) and applies it to the kernel and to
 * the VirtualServers' status. Passes run one at a time; changes during a pass bring one more.
 */
export class Speaker {
  private readonly kernel: NodeKernel;
  private readonly health: HealthChecker;
  private readonly roles = new Map<string, VrrpStateName>();
  /** When each group became master, until its tier-1 table is programmed. */
  private readonly becameMaster = new Map<string, number>();
  /** VIPs whose IPVS services may exist: the current ones, and removed ones until their services are gone. */
  private owned: string[] = [];
  private rejections = new Map<string, string>();
  private state: NodeState | undefined;
  private passes: Promise<void> = Promise.resolve();
  /** New masters waiting for a pass that started after their transition to program tier 1. */
  private tableWaiters: Array<() => void> = [];
  private queued = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private timers: NodeJS.Timeout[] = [];
  /** Passes are asked for only once the kernel side has started; the first pass covers what came before. */
  private running = false;
  private stopping = false;

  constructor(
    private readonly options: SpeakerOptions,
    private readonly deps: SpeakerDependencies,
  ) {
    this.kernel = deps.createKernel({
      transition: (family, vrid, from, to) => this.onTransition(family, vrid, from, to),
      announced: (address) => deps.metrics.announcements.inc({ family: `IPv${ipFamily(address)}` }),
    });
    this.health = new HealthChecker(
      deps.probe ?? realProbe,
      {
        changed: () => this.requestSync(),
        probed: (target, result) => {
          const [namespace = '', virtualserver = ''] = target.virtualServer.split('/');
          deps.metrics.healthChecks.inc({ namespace, virtualserver, result: result.passed ? 'pass' : 'fail' });
        },
      },
      deps.log,
    );
  }

  /** Starts the kernel side and runs the first pass; resolves once it is applied. */
  async start(): Promise<void> {
    await this.kernel.start();
    this.running = true;
    const first = this.passes.then(() => this.sync());
    this.passes = first.catch(() => undefined);
    await first;
    this.timers = [
      setInterval(() => this.requestSync(), this.options.resyncIntervalMs),
      setInterval(() => void this.readStats(), this.options.statsIntervalMs),
    ];
    this.deps.log.info(
      { event: 'speaker.started', node: this.options.nodeName, virtualServers: this.state?.virtualServers.length ?? 0, services: this.state?.table.length ?? 0 },
      'speaker running',
    );
  }

  /** Asks for a pass; one asked for while another runs follows it, however many were asked for. */
  requestSync(): void {
    if (!this.running || this.stopping || this.queued) return;
    this.queued = true;
    this.passes = this.passes.then(async () => {
      this.queued = false;
      if (this.stopping) return;
      try {
        await this.sync();
        this.failures = 0;
      } catch (err) {
        this.failures++;
        this.deps.metrics.syncErrors.inc();
        const delayMs = backoffDelayMs(this.failures, 500, 30_000);
        this.deps.log.error({ event: 'speaker.sync-failed', err, retryInMs: delayMs }, 'pass failed; retrying');
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.requestSync(), delayMs);
      }
    });
  }

  /** Resolves once every pass asked for so far has run. */
  async settled(): Promise<void> {
    let seen: Promise<void> | undefined;
    while (seen !== this.passes) {
      seen = this.passes;
      await seen;
    }
  }

  private onTransition(family: IpFamily, vrid: number, _from: VrrpStateName, to: VrrpStateName): Promise<void> | void {
    const key = groupKey(family, vrid);
    const labels = { family: `IPv${family}`, vrid: String(vrid) };
    this.deps.metrics.vrrpTransitions.inc({ ...labels, to });
    if (to === 'init') {
      this.roles.delete(key);
      this.deps.metrics.vrrpState.remove(labels);
    } else {
      this.roles.set(key, to);
      this.deps.metrics.vrrpState.set(labels, stateValue[to]);
    }
    if (to === 'master') this.becameMaster.set(key, performance.now());
    else this.becameMaster.delete(key);
    // The table follows the role at once, from the cached objects: failover needs no API server.
    this.requestSync();
    if (to === 'master') return new Promise((resolve) => this.tableWaiters.push(resolve));
  }

  private async sync(): Promise<void> {
    const started = performance.now();
    const { sources, metrics, log } = this.deps;
    const roles = new Map(this.roles);
    // New masters whose role is in this snapshot: their VIPs wait for this pass's table.
    const waiters = this.tableWaiters.splice(0);
    const state = desiredNodeState({
      nodeName: this.options.nodeName,
      virtualServers: sources.virtualServers(),
      endpointSlices: sources.endpointSlices(),
      pods: sources.pods(),
      nodes: sources.nodes(),
      health: this.health.verdicts(),
      roles,
      defaultAdvertIntervalMs: this.options.defaultAdvertIntervalMs,
    });
    this.reportRejections(state.rejected);
    this.health.setTargets(state.healthTargets);
    // The table first: a new master's VIPs wait for it (the waiters resolved below).
    const owned = [...new Set([...this.owned, ...state.vips])];
    let applied: TableApplied;
    try {
      applied = await this.kernel.applyTable(state.table, owned);
    } finally {
      for (const resolve of waiters) resolve();
    }
    this.owned = applied.failures.size === 0 ? state.vips : owned;
    this.state = state;
    metrics.ipvsWrites.inc({ result: 'ok' }, applied.writes - applied.failures.size);
    if (applied.failures.size > 0) metrics.ipvsWrites.inc({ result: 'failed' }, applied.failures.size);
    if (applied.writes > 0) {
      log.info(
        { event: 'ipvs.applied', ms: Math.round(performance.now() - started), writes: applied.writes, failed: applied.failures.size, services: state.table.length, draining: applied.draining, masters: [...roles].filter(([, r]) => r === 'master').map(([k]) => k) },
        `IPVS table: ${applied.writes} write(s)`,
      );
    }
    for (const service of applied.vanished) {
      const owner = state.owners.get(service) ?? '';
      const [namespace = '', virtualserver = ''] = owner.split('/');
      metrics.vanishedServices.inc({ namespace, virtualserver });
      log.warn(
        { event: 'ipvs.service-vanished', service, virtualServer: owner },
        `IPVS service ${service} of ${owner} was deleted by someone else and created again (kube-proxy in IPVS mode? exclude the address pools with its excludeCIDRs)`,
      );
    }
    this.recordFailovers(roles, state, applied.failures.size === 0);
    await this.kernel.setVrrp(state.instances.map(instanceSettings), state.heldWhileBackup);
    this.updateGauges(state);
    this.deps.status?.publish(speakerStatuses(this.options.nodeName, state, applied.failures));
    metrics.syncDuration.observe((performance.now() - started) / 1000);
  }

  /** Failover time: from the transition to master to the first pass that programmed tier 1 for it. */
  private recordFailovers(roles: ReadonlyMap<string, VrrpStateName>, state: NodeState, programmed: boolean): void {
    if (!programmed) return;
    for (const [key, since] of this.becameMaster) {
      if (roles.get(key) !== 'master') continue;
      this.becameMaster.delete(key);
      const seconds = (performance.now() - since) / 1000;
      this.deps.metrics.failoverDuration.observe(seconds);
      this.deps.log.info({ event: 'vrrp.master-programmed', group: key, ms: Math.round(seconds * 1000), services: state.table.length }, `group ${key}: tier-1 table programmed`);
    }
  }

  private updateGauges(state: NodeState): void {
    const { metrics } = this.deps;
    metrics.rejectedVirtualServers.set(state.rejected.length);
    metrics.vrrpPriority.reset();
    for (const instance of state.instances) metrics.vrrpPriority.set({ family: `IPv${instance.family}`, vrid: String(instance.vrid) }, instance.priority);
    const verdicts = this.health.verdicts();
    const failing = new Map<string, number>();
    for (const target of state.healthTargets) failing.set(target.virtualServer, (failing.get(target.virtualServer) ?? 0) + (verdicts.get(target.key) === false ? 1 : 0));
    metrics.failingRealServers.reset();
    for (const [key, count] of failing) {
      const [namespace = '', virtualserver = ''] = key.split('/');
      metrics.failingRealServers.set({ namespace, virtualserver }, count);
    }
  }

  /** Logs each rejection once, when it first appears or its reason changes. */
  private reportRejections(rejected: NodeState['rejected']): void {
    const now = new Map(rejected.map((r) => [r.key, r.reason]));
    for (const [key, reason] of now) {
      if (this.rejections.get(key) !== reason) this.deps.log.warn({ event: 'virtualserver.rejected', virtualServer: key, reason }, `${key} is not programmed: ${reason}`);
    }
    this.rejections = now;
  }

  private async readStats(): Promise<void> {
    if (!this.state) return;
    const { owners, pods } = this.state;
    try {
      this.deps.metrics.setIpvsStats({ table: await this.kernel.tableStats(this.owned), owners, pods });
    } catch (err) {
      this.deps.log.warn({ event: 'ipvs.stats-failed', err }, 'cannot read IPVS counters');
    }
  }

  /** Priority 0 for every master, VIPs and sysctls undone, our IPVS services removed, our status entries withdrawn. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    clearTimeout(this.retryTimer);
    this.health.stop();
    await this.passes;
    await this.kernel.stop(this.owned);
    await this.deps.status?.withdraw(3000);
    this.deps.log.info({ event: 'speaker.stopped', node: this.options.nodeName }, 'speaker stopped');
  }
}
