import { join } from 'node:path';
import { IpvsClient } from '../ipvs/client.js';
import type { DesiredService } from '../ipvs/diff.js';
import type { TableEntry } from '../ipvs/types.js';
import type { Logger } from '../log.js';
import { IpvsTable } from './ipvsTable.js';
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
  private ipvs: { client: IpvsClient; table: IpvsTable } | undefined;
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
    let client: IpvsClient;
    try {
      client = await IpvsClient.open({ dumpConcurrency: 4 });
    } catch (err) {
      throw new Error(`cannot reach IPVS over generic netlink (is the ip_vs module loaded?): ${(err as Error).message}`, { cause: err });
    }
    const table = new IpvsTable(client, { ownedFile: join(this.options.vip.stateDir, 'ipvs-owned.json'), drainTimeoutMs: this.options.drainTimeoutMs }, this.log);
    await table.load();
    this.ipvs = { client, table };
    this.holderStarted = true;
    await this.holder.start();
  }

  private table(): IpvsTable {
    if (!this.ipvs) throw new Error('the node kernel is not started');
    return this.ipvs.table;
  }

  setVrrp(instances: VrrpInstanceSettings[], heldWhileBackup: readonly string[]): Promise<void> {
    return this.holder.setInstances(instances, heldWhileBackup);
  }

  applyTable(table: readonly DesiredService[], owned: readonly string[]): Promise<TableApplied> {
    return this.table().apply(table, owned);
  }

  tableStats(owned: readonly string[]): Promise<TableEntry[]> {
    return this.table().stats(owned);
  }

  async stop(owned: readonly string[]): Promise<void> {
    // VRRP first: priority 0 lets a backup take over while we tear the table down.
    if (this.holderStarted) await this.holder.stop();
    if (this.ipvs) {
      await this.ipvs.table.apply([], owned).catch((err: unknown) => this.log.error({ event: 'ipvs.cleanup-failed', err }, 'cannot remove the IPVS services'));
      this.ipvs.client.close();
    }
  }
}
