import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { canonicalIp, type IpFamily } from './net/ipAddress.js';
import { desiredAddresses, vrrpSources, type VipIntent } from './vip/addressPlan.js';
import { Announcer } from './vip/announcer.js';
import { NodeSysctls } from './vip/nodeSysctls.js';
import { nodeSysctlRules } from './vip/sysctlPlan.js';
import { VipAddresses } from './vip/vipAddresses.js';
import type { VipHolderConfig } from './vrrp/config.js';
import { VrrpRouter, type VrrpInstanceSpec } from './vrrp/router.js';
import { VrrpSocket } from './vrrp/socket.js';
import type { VrrpStateName } from './vrrp/stateMachine.js';

/**
 * Holds the VIPs of one interface: VRRP instances for each address family, the VIPs on the
 * NIC while master and on the dummy device otherwise, gratuitous ARP / unsolicited NA on
 * becoming master, and the node sysctls. stop() undoes all of it.
 */
export class VipHolder {
  private readonly routers = new Map<IpFamily, VrrpRouter>();
  private readonly states = new Map<string, VrrpStateName>();
  private announcer: Announcer | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> = Promise.resolve();
  private stopped = false;

  private constructor(
    private readonly config: VipHolderConfig,
    private readonly addresses: VipAddresses,
    private readonly sysctls: NodeSysctls | undefined,
    private readonly log: Logger,
  ) {}

  static create(config: VipHolderConfig, log: Logger): VipHolder {
    const sysctls = config.manageSysctls ? new NodeSysctls(nodeSysctlRules(), log, { stateFile: join(config.stateDir, 'sysctl-originals.json') }) : undefined;
    return new VipHolder(config, VipAddresses.open({ nic: config.interface, dummy: config.dummy }, log), sysctls, log);
  }

  private managed(): string[] {
    return this.config.instances.flatMap((i) => i.addresses.map(canonicalIp));
  }

  private key(family: IpFamily, vrid: number): string {
    return `${family}/${vrid}`;
  }

  async start(): Promise<void> {
    await this.reconcile('full');
    const nic = await this.addresses.nic();
    const sources = vrrpSources(nic.addresses, this.managed());
    this.announcer = Announcer.open(this.config.interface, nic.index, nic.mac, this.config.announce, this.log);
    for (const family of [4, 6] as const) {
      const instances = this.config.instances.filter((i) => isIP(i.addresses[0] ?? '') === family);
      if (instances.length === 0) continue;
      const source = family === 4 ? sources.ipv4 : sources.ipv6;
      if (source === undefined) throw new Error(`${this.config.interface} has no ${family === 4 ? 'primary IPv4' : 'usable link-local IPv6'} address to send VRRP from`);
      const specs: VrrpInstanceSpec[] = instances.map((i) => ({
        vrid: i.vrid,
        priority: i.priority,
        advertIntervalCs: i.advertIntervalMs / 10,
        preempt: i.preempt,
        preemptDelayMs: i.preemptDelayMs,
        primaryAddress: source,
        addresses: i.addresses.map(canonicalIp),
        checksumForm: i.checksum,
      }));
      const peers = this.config.peers.filter((p) => isIP(p) === family).map(canonicalIp);
      const socket = VrrpSocket.open({ family, interfaceName: this.config.interface, ifindex: nic.index, source, peers });
      const router = new VrrpRouter(socket, specs, { transition: (vrid, _from, to) => this.onTransition(family, vrid, to), announce: (vrid, addresses) => this.announcer?.announce(this.key(family, vrid), addresses) }, this.log);
      this.routers.set(family, router);
      router.start();
    }
    this.reconcileTimer = setInterval(() => this.requestReconcile('full'), this.config.reconcileIntervalMs);
  }

  private onTransition(family: IpFamily, vrid: number, to: VrrpStateName): void {
    this.states.set(this.key(family, vrid), to);
    if (to !== 'master') this.announcer?.cancel(this.key(family, vrid));
    this.requestReconcile('addresses');
  }

  /** Where every VIP should be, from the instances' states. */
  private intents(): VipIntent[] {
    return this.config.instances.flatMap((instance) => {
      const family = isIP(instance.addresses[0] ?? '') as IpFamily;
      const state = this.states.get(this.key(family, instance.vrid));
      const placement = this.stopped ? 'absent' : state === 'master' ? 'master' : this.config.backupHoldsVips ? 'local' : 'absent';
      return instance.addresses.map((address) => ({ address, placement }));
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
