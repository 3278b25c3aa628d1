import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../log.js';
import { planSysctlUndo, planSysctls, type SysctlChange, type SysctlRule } from './sysctlPlan.js';

const stateSchema = z.array(z.object({ key: z.string(), from: z.string(), to: z.string() }));

async function readValue(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export interface NodeSysctlsOptions {
  /** /proc/sys of this process's network namespace. */
  root?: string;
  /**
   * Where the values we replaced are kept, so that a speaker killed without cleanup can still
   * restore them after it restarts. Under /run, it is cleared on reboot, as the sysctls are.
   */
  stateFile?: string;
}

/** The rules, or how to compute them afresh for each reconcile (they depend on the interfaces present). */
export type SysctlRules = SysctlRule[] | (() => Promise<SysctlRule[]>);

/** Applies the sysctl plan and can revert it. */
export class NodeSysctls {
  /** Every change we made, with the value found before the first one. */
  private applied = new Map<string, SysctlChange>();
  private loaded = false;
  /** The missing keys last warned about, so that each reconcile does not repeat the warning. */
  private reportedMissing = '';
  private readonly root: string;

  constructor(
    private readonly rules: SysctlRules,
    private readonly log: Logger,
    private readonly options: NodeSysctlsOptions = {},
  ) {
    this.root = options.root ?? '/proc/sys';
  }

  private async read(keys: string[]): Promise<Map<string, string | undefined>> {
    return new Map(await Promise.all(keys.map(async (key) => [key, await readValue(join(this.root, key))] as const)));
  }

  private async loadState(): Promise<void> {
    this.loaded = true;
    if (!this.options.stateFile) return;
    const text = await readValue(this.options.stateFile);
    if (text === undefined) return;
    try {
      this.applied = new Map(stateSchema.parse(JSON.parse(text)).map((c) => [c.key, c]));
    } catch (err) {
      this.log.warn({ event: 'sysctl-state-unreadable', file: this.options.stateFile, err }, 'ignoring an unreadable sysctl state file');
    }
  }

  private async saveState(): Promise<void> {
    const file = this.options.stateFile;
    if (!file) return;
    await mkdir(dirname(file), { recursive: true });
    await writeFile(`${file}.tmp`, JSON.stringify([...this.applied.values()]));
    await rename(`${file}.tmp`, file);
  }

  /** Reads, diffs and writes; returns the keys still missing (their module is not loaded yet). */
  async reconcile(): Promise<string[]> {
    if (!this.loaded) await this.loadState();
    const rules = typeof this.rules === 'function' ? await this.rules() : this.rules;
    const plan = planSysctls(rules, await this.read(rules.map((r) => r.key)));
    let written = false;
    for (const change of plan.changes) {
      try {
        await writeFile(join(this.root, change.key), `${change.to}\n`);
      } catch (err) {
        // The interface went since it was read: nothing left to set, or to restore.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && rules.find((r) => r.key === change.key)?.transient) continue;
        throw err;
      }
      written = true;
      const first = this.applied.get(change.key);
      this.applied.set(change.key, { ...change, from: first?.from ?? change.from });
      this.log.info({ event: 'sysctl-set', ...change }, `${change.key}: ${change.from} -> ${change.to}`);
    }
    if (written) await this.saveState();
    const required = plan.missing.filter((key) => !rules.find((r) => r.key === key)?.optional);
    if (required.length > 0) throw new Error(`sysctls missing: ${required.join(', ')}`);
    const missing = plan.missing.join(',');
    if (plan.missing.length > 0 && missing !== this.reportedMissing) this.log.warn({ event: 'sysctl-missing', keys: plan.missing }, `not there yet: ${plan.missing.join(', ')}`);
    this.reportedMissing = missing;
    return plan.missing;
  }

  /** Restores the values we found, where nobody has changed ours since. */
  async undo(): Promise<void> {
    if (!this.loaded) await this.loadState();
    const applied = [...this.applied.values()];
    for (const change of planSysctlUndo(applied, await this.read(applied.map((c) => c.key)))) {
      try {
        await writeFile(join(this.root, change.key), `${change.to}\n`);
      } catch (err) {
        // An interface that went since it was read takes its setting with it.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      this.log.info({ event: 'sysctl-restored', ...change }, `${change.key}: ${change.from} -> ${change.to}`);
    }
    this.applied.clear();
    if (this.options.stateFile) await rm(this.options.stateFile, { force: true });
  }
}
