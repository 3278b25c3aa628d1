import type { DesiredService } from '../../src/ipvs/diff.js';
import type { TableEntry } from '../../src/ipvs/types.js';
import type { IpFamily } from '../../src/speaker/net/ipAddress.js';
import type { NodeKernel, NodeKernelHooks, TableApplied } from '../../src/speaker/nodeKernel.js';
import type { VrrpInstanceSettings } from '../../src/speaker/vrrp/config.js';
import type { VrrpStateName } from '../../src/speaker/vrrp/stateMachine.js';

/**
 * A node kernel in memory, for machines without IPVS: records what the speaker hands it and
 * lets a test play VRRP transitions. The real kernel side is tested in the lab.
 */
export class RecordingKernel implements NodeKernel {
  readonly vrrp: Array<{ instances: VrrpInstanceSettings[]; heldWhileBackup: readonly string[] }> = [];
  readonly tables: Array<{ table: readonly DesiredService[]; owned: readonly string[] }> = [];
  started = false;
  stoppedWith: readonly string[] | undefined;
  /** serviceId -> error: the next applies report these services as failed. */
  failing = new Map<string, string>();
  /** serviceIds the next apply reports as deleted by someone else and created again. */
  vanishing: string[] = [];
  private readonly states = new Map<string, VrrpStateName>();

  constructor(readonly hooks: NodeKernelHooks) {}

  async start(): Promise<void> {
    this.started = true;
  }

  async setVrrp(instances: VrrpInstanceSettings[], heldWhileBackup: readonly string[]): Promise<void> {
    this.vrrp.push({ instances, heldWhileBackup });
  }

  async applyTable(table: readonly DesiredService[], owned: readonly string[]): Promise<TableApplied> {
    const previous = this.tables.at(-1)?.table;
    this.tables.push({ table, owned });
    const writes = JSON.stringify(previous ?? []) === JSON.stringify(table) ? 0 : 1;
    return { writes: writes + this.failing.size, failures: new Map(this.failing), draining: 0, vanished: [...this.vanishing.splice(0)] };
  }

  async tableStats(): Promise<TableEntry[]> {
    return [];
  }

  async stop(owned: readonly string[]): Promise<void> {
    this.stoppedWith = owned;
  }

  /** What VRRP would report: a group of this node changed state. */
  /** Returns what the hook returned: on becoming master, the promise the VIPs would wait for. */
  transition(family: IpFamily, vrid: number, to: VrrpStateName): Promise<void> | void {
    const key = `${family}/${vrid}`;
    const from = this.states.get(key) ?? 'init';
    this.states.set(key, to);
    return this.hooks.transition(family, vrid, from, to);
  }

  /** The last table handed over. */
  get table(): readonly DesiredService[] {
    return this.tables.at(-1)?.table ?? [];
  }
}
