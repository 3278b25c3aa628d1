import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { IpvsClient } from '../ipvs/client.js';
import { serviceId, type DesiredService, type DrainState } from '../ipvs/diff.js';
import { reconcileTable } from '../ipvs/reconcile.js';
import type { TableEntry } from '../ipvs/types.js';
import type { Logger } from '../log.js';
import type { TableApplied } from './nodeKernel.js';

const ownedFileSchema = z.array(z.string().refine((s) => isIP(s) !== 0));

export interface IpvsTableOptions {
  /**
   * Where the VIPs whose services may exist are kept across restarts, so that a speaker killed
   * while removing a VIP removes its services when it comes back.
   */
  ownedFile: string;
  /** A draining TCP real server is deleted this long after its drain started, connections or not. */
  drainTimeoutMs: number;
}

/**
 * The speaker's IPVS services: reconciled pass by pass for the VIPs it owns, with the drain
 * state between passes, the owned VIPs remembered on disk, and services that someone else
 * deleted since the last pass noticed.
 */
export class IpvsTable {
  private drain: DrainState = new Map();
  /** VIPs a previous run owned, until a pass has cleaned them up. */
  private leftovers = new Set<string>();
  private remembered = '';
  /** The services the last pass left in the kernel. */
  private programmed = new Set<string>();

  constructor(
    private readonly client: Pick<IpvsClient, 'dumpTable' | 'execute'>,
    private readonly options: IpvsTableOptions,
    private readonly log: Logger,
  ) {}

  /** Reads what a previous run left to clean up. */
  async load(): Promise<void> {
    try {
      this.leftovers = new Set(ownedFileSchema.parse(JSON.parse(await readFile(this.options.ownedFile, 'utf8'))));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ event: 'ipvs.owned-unreadable', file: this.options.ownedFile, err }, 'ignoring an unreadable file of owned VIPs');
    }
  }

  /** Best effort: a read-only state directory costs only the clean-up after a crash, never a pass. */
  private async remember(owned: string[]): Promise<void> {
    const text = JSON.stringify(owned.sort());
    if (text === this.remembered) return;
    const file = this.options.ownedFile;
    try {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(`${file}.tmp`, text);
      await rename(`${file}.tmp`, file);
    } catch (err) {
      this.log.warn({ event: 'ipvs.owned-unwritable', file, err }, 'cannot keep the owned VIPs across restarts');
    }
    this.remembered = text;
  }

  async apply(table: readonly DesiredService[], owned: readonly string[]): Promise<TableApplied> {
    const all = [...new Set([...owned, ...this.leftovers])];
    // Remembered before the writes: a crash in between still leaves them known.
    await this.remember(all);
    const { plan, applied } = await reconcileTable(this.client, table, { addresses: new Set(all), fwmarks: new Set() }, this.drain, { drainTimeoutMs: this.options.drainTimeoutMs }, this.log);
    this.drain = plan.drain;
    const failures = new Map<string, string>();
    for (const { write, error } of applied) if (error && !failures.has(serviceId(write.service))) failures.set(serviceId(write.service), error.message);
    if (failures.size === 0) this.leftovers.clear();
    const vanished = plan.writes.filter((w) => w.kind === 'add-service' && this.programmed.has(serviceId(w.service))).map((w) => serviceId(w.service));
    this.programmed = new Set(table.map((entry) => serviceId(entry.service)).filter((id) => !failures.has(id)));
    return { writes: applied.length, failures, draining: plan.drain.size, vanished };
  }

  stats(owned: readonly string[]): Promise<TableEntry[]> {
    const addresses = new Set(owned);
    return this.client.dumpTable({ only: (service) => service.protocol !== 'fwmark' && addresses.has(service.address) });
  }
}
