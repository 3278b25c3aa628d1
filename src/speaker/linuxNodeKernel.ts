import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { IpvsClient } from '../ipvs/client.js';
import { serviceId, type DesiredService, type DrainState } from '../ipvs/diff.js';
import { reconcileTable } from '../ipvs/reconcile.js';
import type { TableEntry } from '../ipvs/types.js';
import type { Logger } from '../log.js';
import type { NodeKernel, NodeKernelHooks, TableApplied } from './nodeKernel.js';
import { VipHolder } from './vipHolder.js';
import type { VipHolderConfig, VrrpInstanceSettings } from './vrrp/config.js';

/** The VIPs whose IPVS services may exist, kept across restarts: a speaker killed while removing a VIP removes its services when it comes back. */
const ownedFileSchema = z.array(z.string().refine((s) => isIP(s) !== 0));

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
  /** VIPs a previous run owned, until a pass has cleaned them up. */
  private leftovers = new Set<string>();
  private remembered = '';

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
    this.leftovers = await this.readOwned();
    this.holderStarted = true;
    await this.holder.start();
  }

  private get ownedFile(): string {
    return join(this.options.vip.stateDir, 'ipvs-owned.json');
  }

  private async readOwned(): Promise<Set<string>> {
    try {
      return new Set(ownedFileSchema.parse(JSON.parse(await readFile(this.ownedFile, 'utf8'))));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ event: 'ipvs.owned-unreadable', file: this.ownedFile, err }, 'ignoring an unreadable file of owned VIPs');
      return new Set();
    }
  }

  /** Best effort: a read-only state directory costs only the clean-up after a crash, never a pass. */
  private async remember(owned: string[]): Promise<void> {
    const text = JSON.stringify(owned.sort());
    if (text === this.remembered) return;
    try {
      await mkdir(this.options.vip.stateDir, { recursive: true });
      await writeFile(`${this.ownedFile}.tmp`, text);
      await rename(`${this.ownedFile}.tmp`, this.ownedFile);
    } catch (err) {
      this.log.warn({ event: 'ipvs.owned-unwritable', file: this.ownedFile, err }, 'cannot keep the owned VIPs across restarts');
    }
    this.remembered = text;
  }

  private client(): IpvsClient {
    if (!this.ipvs) throw new Error('the node kernel is not started');
    return this.ipvs;
  }

  setVrrp(instances: VrrpInstanceSettings[], heldWhileBackup: readonly string[]): Promise<void> {
    return this.holder.setInstances(instances, heldWhileBackup);
  }

  async applyTable(table: readonly DesiredService[], owned: readonly string[]): Promise<TableApplied> {
    const all = [...new Set([...owned, ...this.leftovers])];
    // Remembered before the writes: a crash in between still leaves them known.
    await this.remember(all);
    const { plan, applied } = await reconcileTable(this.client(), table, { addresses: new Set(all), fwmarks: new Set() }, this.drain, { drainTimeoutMs: this.options.drainTimeoutMs }, this.log);
    this.drain = plan.drain;
    const failures = new Map<string, string>();
    for (const { write, error } of applied) if (error && !failures.has(serviceId(write.service))) failures.set(serviceId(write.service), error.message);
    if (failures.size === 0) this.leftovers.clear();
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
