import { IpvsClient } from '../ipvs/client.js';
import { serviceId, type DesiredService, type DrainState } from '../ipvs/diff.js';
import { reconcileTable } from '../ipvs/reconcile.js';
import type { TableEntry } from '../ipvs/types.js';
import type { Logger } from '../log.js';
import type { NodeKernel, NodeKernelHooks, TableApplied } from './nodeKernel.js';
import { VipHolder } from './vipHolder.js';
import type { VipHolderConfig, VrrpInstanceSettings } from './vrrp/config.js';

export interface LinuxNodeKernelOptions {
  vip: VipHolderConfig;
  /** A draining TCP real server is deleted this long after its drain started, connections or not. */
  drainTimeoutMs: number;
}

/** VRRP and VIPs over raw sockets and rtnetlink, IPVS over generic netlink, in this network namespace. */
export class LinuxNodeKernel implements NodeKernel {
  private drain: DrainState = new Map();
  private ipvs: IpvsClient | undefined;
  /** stop() undoes only what start() got to. */
  private holderStarted = false;

  private constructor(
    private readonly holder: VipHolder,
    private readonly options: LinuxNodeKernelOptions,
    private readonly log: Logger,
  ) {}

  static create(options: LinuxNodeKernelOptions, hooks: NodeKernelHooks, log: Logger): LinuxNodeKernel {
    return new LinuxNodeKernel(VipHolder.create(options.vip, log, hooks), options, log);
  }

  async start(): Promise<void> {
    try {
      this.ipvs = await IpvsClient.open({ dumpConcurrency: 4 });
    } catch (err) {
      throw new Error(`cannot reach IPVS over generic netlink (is the ip_vs module loaded?): ${(err as Error).message}`, { cause: err });
    }
    this.holderStarted = true;
    await this.holder.start();
  }

  private client(): IpvsClient {
    if (!this.ipvs) throw new Error('the node kernel is not started');
    return this.ipvs;
  }

  setVrrp(instances: VrrpInstanceSettings[], heldWhileBackup: readonly string[]): Promise<void> {
    return this.holder.setInstances(instances, heldWhileBackup);
  }

  async applyTable(table: readonly DesiredService[], owned: readonly string[]): Promise<TableApplied> {
    const { plan, applied } = await reconcileTable(this.client(), table, { addresses: new Set(owned), fwmarks: new Set() }, this.drain, { drainTimeoutMs: this.options.drainTimeoutMs }, this.log);
    this.drain = plan.drain;
    const failures = new Map<string, string>();
    for (const { write, error } of applied) if (error && !failures.has(serviceId(write.service))) failures.set(serviceId(write.service), error.message);
    return { writes: applied.length, failures, draining: plan.drain.size };
  }

  tableStats(owned: readonly string[]): Promise<TableEntry[]> {
    const addresses = new Set(owned);
    return this.client().dumpTable({ only: (service) => service.protocol !== 'fwmark' && addresses.has(service.address) });
  }

  async stop(owned: readonly string[]): Promise<void> {
    // VRRP first: priority 0 lets a backup take over while we tear the table down.
    if (this.holderStarted) await this.holder.stop();
    if (this.ipvs) {
      await this.applyTable([], owned).catch((err: unknown) => this.log.error({ event: 'ipvs.cleanup-failed', err }, 'cannot remove the IPVS services'));
      this.ipvs.close();
    }
  }
}
