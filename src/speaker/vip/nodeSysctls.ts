import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../log.js';
import { planSysctlUndo, planSysctls, type SysctlChange, type SysctlRule } from './sysctlPlan.js';

async function readValue(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Applies the sysctl plan under /proc/sys (of this process's network namespace) and can revert it. */
export class NodeSysctls {
  /** Every change we made, with the value we found before the first one. */
  private readonly applied = new Map<string, SysctlChange>();

  constructor(
    private readonly rules: SysctlRule[],
    private readonly log: Logger,
    private readonly root = '/proc/sys',
  ) {}

  private async read(keys: string[]): Promise<Map<string, string | undefined>> {
    return new Map(await Promise.all(keys.map(async (key) => [key, await readValue(join(this.root, key))] as const)));
  }

  /** Reads, diffs and writes; returns the keys still missing (their module is not loaded yet). */
  async reconcile(): Promise<string[]> {
    const plan = planSysctls(this.rules, await this.read(this.rules.map((r) => r.key)));
    for (const change of plan.changes) {
      await writeFile(join(this.root, change.key), `${change.to}\n`);
      const first = this.applied.get(change.key);
      this.applied.set(change.key, { ...change, from: first?.from ?? change.from });
      this.log.info({ event: 'sysctl-set', ...change }, `${change.key}: ${change.from} -> ${change.to}`);
    }
    const required = plan.missing.filter((key) => !this.rules.find((r) => r.key === key)?.optional);
    if (required.length > 0) throw new Error(`sysctls missing: ${required.join(', ')}`);
    if (plan.missing.length > 0) this.log.warn({ event: 'sysctl-missing', keys: plan.missing }, `not there yet: ${plan.missing.join(', ')}`);
    return plan.missing;
  }

  /** Restores the values we found, where nobody has changed ours since. */
  async undo(): Promise<void> {
    const applied = [...this.applied.values()];
    for (const change of planSysctlUndo(applied, await this.read(applied.map((c) => c.key)))) {
      await writeFile(join(this.root, change.key), `${change.to}\n`);
      this.log.info({ event: 'sysctl-restored', ...change }, `${change.key}: ${change.from} -> ${change.to}`);
    }
    this.applied.clear();
  }
}
