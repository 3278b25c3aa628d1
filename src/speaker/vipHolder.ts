import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { canonicalIp, type IpFamily } from './net/ipAddress.js';
import { desiredAddresses, vrrpSources, type VipIntent } from './vip/addressPlan.js';
import { Announcer } from './vip/announcer.js';
import { NodeSysctls } from './vip/nodeSysctls.js';
import { nodeSysctlRules } from './vip/sysctlPlan.js';
import { VipAddresses } from './vip/vipAddresses.js';
import type { VipHolderConfig, VrrpInstanceSettings } from './vrrp/config.js';
import { VrrpRouter, type VrrpInstanceSpec } from './vrrp/router.js';
import { VrrpSocket } from './vrrp/socket.js';
import type { VrrpStateName } from './vrrp/stateMachine.js';

/** How long a new master waits for the promise its transition hook returned before taking its VIPs anyway. */
export const masterTableWaitMs = 1000;

export interface VipHolderHooks {
  /**
   * A VRRP instance changed state. On becoming master, a returned promise holds the VIPs back
   * (at most masterTableWaitMs): the speaker resolves it once tier 1 is programmed, because
   * the VIP taken while the node still has its tier-2 table would hand established flows to
   * the wrong pods, which reset them; held back, their packets are only dropped and resent.
   */
  transition?(family: IpFamily, vrid: number, from: VrrpStateName, to: VrrpStateName): Promise<unknown> | void;
  /** A gratuitous ARP or unsolicited NA went out. */
  announced?(address: string): void;
}

/**
 * Holds the VIPs of one interface: VRRP instances for each address family, the VIPs on the
 * NIC while master and, while not, on the dummy device for the VIPs the node serves locally,
 * gratuitous ARP / unsolicited NA on becoming master, and the node sysctls. The instances may
 * change while running (setInstances). stop() undoes all of it.
 */
export class VipHolder {
  private readonly routers = new Map<IpFamily, VrrpRouter>();
  private readonly states = new Map<string, VrrpStateName>();
  /** Instances that became master and wait for their hook before their VIPs go anywhere. */
  private readonly awaitingTable = new Set<string>();
  private instances: VrrpInstanceSettings[];
  /** VIPs kept on the dummy device while their instance is not master. */
  private heldWhileBackup: Set<string>;
  /**
   * Every VIP an instance had since start: one whose instance went away must still be removed
   * from the NIC on kernels that do not keep our address tag (IFA_PROTO, before 6.1).
   */
  private readonly everManaged = new Set<string>();
  private sources: { ipv4?: string; ipv6?: string } = {};
  private nicInfo: { index: number; mac: Buffer } | undefined;
  private announcer: Announcer | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> = Promise.resolve();
  private stopped = false;

  private constructor(
    private readonly config: VipHolderConfig,
    private readonly addresses: VipAddresses,
    private readonly sysctls: NodeSysctls | undefined,
    private readonly log: Logger,
    private readonly hooks: VipHolderHooks,
  ) {
    this.instances = config.instances;
    for (const address of this.current()) this.everManaged.add(address);
    this.heldWhileBackup = new Set(config.backupHoldsVips ? this.current() : []);
  }

  static create(config: VipHolderConfig, log: Logger, hooks: VipHolderHooks = {}): VipHolder {
    const addresses = VipAddresses.open({ nic: config.interface, dummy: config.dummy }, log);
    // Per-interface rules follow the pod veths as they come and go, at each reconcile.
    const sysctls = config.manageSysctls
      ? new NodeSysctls(async () => nodeSysctlRules(await addresses.interfaces()), log, { root: config.sysctlRoot, stateFile: join(config.stateDir, 'sysctl-originals.json') })
      : undefined;
    return new VipHolder(config, addresses, sysctls, log, hooks);
  }

  private current(): string[] {
    return this.instances.flatMap((i) => i.addresses.map(canonicalIp));
  }

  private managed(): string[] {
    return [...this.everManaged];
  }

  private key(family: IpFamily, vrid: number): string {
    return `${family}/${vrid}`;
  }

  async start(): Promise<void> {
    await this.reconcile('full');
    const nic = await this.addresses.nic();
    this.nicInfo = { index: nic.index, mac: nic.mac };
    this.sources = vrrpSources(nic.addresses, this.managed());
    this.announcer = Announcer.open(this.config.interface, nic.index, nic.mac, this.config.announce, this.log, (address) => this.hooks.announced?.(address));
    for (const family of [4, 6] as const) {
      const router = this.router(family);
      if (router === 'no-source') throw new Error(this.noSource(family));
    }
    this.reconcileTimer = setInterval(() => this.requestReconcile('full'), this.config.reconcileIntervalMs);
  }

  /**
   * Runs these instances from now on (see VrrpRouter.setInstances) and keeps the VIPs in
   * heldWhileBackup on the dummy device while their instance is not master. Resolves once the
   * addresses have been reconciled.
   */
  async setInstances(instances: VrrpInstanceSettings[], heldWhileBackup: Iterable<string>): Promise<void> {
    this.instances = instances;
    for (const address of this.current()) this.everManaged.add(address);
    this.heldWhileBackup = new Set([...heldWhileBackup].map(canonicalIp));
    if (this.announcer && !this.stopped) {
      for (const family of [4, 6] as const) {
        if (this.router(family) === 'no-source') {
          // The NIC may have gained its address since start (IPv6 DAD); try again before giving up.
          const nic = await this.addresses.nic();
          this.sources = vrrpSources(nic.addresses, this.managed());
          if (this.router(family) === 'no-source') this.log.error({ event: 'vrrp.no-source', family }, this.noSource(family));
        }
      }
    }
    this.requestReconcile('addresses');
    await this.reconciling;
  }

  private noSource(family: IpFamily): string {
    return `${this.config.interface} has no ${family === 4 ? 'primary IPv4' : 'usable link-local IPv6'} address to send VRRP from`;
  }

  /** Hands the family's instances to its router, opening its socket on first use. */
  private router(family: IpFamily): 'ok' | 'no-source' {
    const specs = this.specs(family);
    const existing = this.routers.get(family);
    if (existing) {
      existing.setInstances(specs);
      return 'ok';
    }
    if (specs.length === 0) return 'ok';
    const source = family === 4 ? this.sources.ipv4 : this.sources.ipv6;
    if (source === undefined || !this.nicInfo) return 'no-source';
    const peers = this.config.peers.filter((p) => isIP(p) === family).map(canonicalIp);
    const socket = VrrpSocket.open({ family, interfaceName: this.config.interface, ifindex: this.nicInfo.index, source, peers });
    const router = new VrrpRouter(
      socket,
      specs.map((spec) => ({ ...spec, primaryAddress: source })),
      {
        transition: (vrid, from, to) => this.onTransition(family, vrid, from, to),
        announce: (vrid, addresses) => this.announcer?.announce(this.key(family, vrid), addresses),
      },
      this.log,
    );
    this.routers.set(family, router);
    router.start();
    return 'ok';
  }

  private specs(family: IpFamily): VrrpInstanceSpec[] {
    const source = (family === 4 ? this.sources.ipv4 : this.sources.ipv6) ?? '';
    return this.instances
      .filter((i) => isIP(i.addresses[0] ?? '') === family)
      .map((i) => ({
        vrid: i.vrid,
        priority: i.priority,
        advertIntervalCs: i.advertIntervalMs / 10,
        preempt: i.preempt,
        preemptDelayMs: i.preemptDelayMs,
        primaryAddress: source,
        addresses: i.addresses.map(canonicalIp),
        checksumForm: i.checksum,
      }));
  }

  private onTransition(family: IpFamily, vrid: number, from: VrrpStateName, to: VrrpStateName): void {
    const key = this.key(family, vrid);
    if (to === 'init') this.states.delete(key);
    else this.states.set(key, to);
    if (to !== 'master') this.announcer?.cancel(key);
    this.awaitingTable.delete(key);
    const tableReady = this.hooks.transition?.(family, vrid, from, to);
    if (to === 'master' && tableReady) {
      this.awaitingTable.add(key);
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, masterTableWaitMs).unref();
      });
      void Promise.race([tableReady.catch(() => undefined), deadline]).then(() => {
        clearTimeout(timer);
        // Another transition since then has its own say.
        if (this.awaitingTable.delete(key)) this.requestReconcile('addresses');
      });
    }
    this.requestReconcile('addresses');
  }

  /** Where every VIP should be, from the instances' states. */
  private intents(): VipIntent[] {
    return this.instances.flatMap((instance) => {
      const family = isIP(instance.addresses[0] ?? '') as IpFamily;
      const key = this.key(family, instance.vrid);
      const master = this.states.get(key) === 'master';
      const waiting = this.awaitingTable.has(key);
      return instance.addresses.map((address) => {
        const placement = this.stopped || waiting ? 'absent' : master ? 'master' : this.heldWhileBackup.has(canonicalIp(address)) ? 'local' : 'absent';
        return { address, placement };
      });
    });
  }

  /** Serialises reconciles: each runs after the previous one, against fresh kernel state. */
  private requestReconcile(scope: 'full' | 'addresses'): void {
    this.reconciling = this.reconciling.then(() =>
      this.reconcile(scope).catch((err: unknown) => this.log.error({ event: 'vip-reconcile-failed', err }, 'VIP reconcile failed; retrying on the next change or interval')),
    );
  }

  /**
   * 'full' (start, interval): sysctls and the dummy device, then addresses. A sysctl failure (say, a
   * read-only /proc/sys) is logged and does not hold the VIPs back. 'addresses' (a state change):
   * only the addresses, so that a new master's event loop stays free for its adverts and GARPs.
   */
  private async reconcile(scope: 'full' | 'addresses'): Promise<void> {
    if (scope === 'full' && !this.stopped) {
      if (this.sysctls) await this.sysctls.reconcile().catch((err: unknown) => this.log.error({ event: 'sysctl-reconcile-failed', err }, 'cannot apply node sysctls'));
      await this.addresses.ensureDummy();
    }
    await this.addresses.reconcile(desiredAddresses(this.intents(), this.addresses.devices), this.managed());
  }

  /** Priority 0 for every master, then every VIP, the dummy device and our sysctls removed. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.reconcileTimer);
    for (const router of this.routers.values()) router.stop();
    this.announcer?.close();
    await this.reconciling;
    await this.reconcile('addresses');
    await this.addresses.removeDummy();
    await this.sysctls?.undo();
    this.addresses.close();
  }

  state(family: IpFamily, vrid: number): VrrpStateName | undefined {
    return this.routers.get(family)?.state(vrid);
  }
}
