import type { DesiredService } from '../ipvs/diff.js';
import type { TableEntry } from '../ipvs/types.js';
import type { IpFamily } from './net/ipAddress.js';
import type { VrrpInstanceSettings } from './vrrp/config.js';
import type { VrrpStateName } from './vrrp/stateMachine.js';

/**
 * The kernel side of a speaker, behind one interface: VRRP and the VIPs (VipHolder) and the
 * IPVS table. linuxNodeKernel.ts is the real one; tests on machines without IPVS record
 * what they are handed instead.
 */

export interface NodeKernelHooks {
  /** On becoming master, the returned promise resolves once tier 1 is programmed (the VIPs wait for it). */
  transition(family: IpFamily, vrid: number, from: VrrpStateName, to: VrrpStateName): Promise<void> | void;
  announced(address: string): void;
}

export interface TableApplied {
  /** Writes the pass made (0 when the table already was as desired). */
  writes: number;
  /** Services whose writes failed, by serviceId, with the first error. */
  failures: Map<string, string>;
  /** Real servers still draining (weight 0 until their connections end): another pass is due. */
  draining: number;
  /**
   * Services (serviceId) a previous pass had programmed that someone else deleted since, and
   * that this pass created again (kube-proxy in IPVS mode does this to VIPs outside its excludeCIDRs).
   */
  vanished: string[];
}

export interface NodeKernel {
  start(): Promise<void>;
  /** The VRRP instances to run, and the VIPs to keep on the dummy device while not master. */
  setVrrp(instances: VrrpInstanceSettings[], heldWhileBackup: readonly string[]): Promise<void>;
  /**
   * Makes the IPVS services on the owned VIPs exactly `table`: services on owned VIPs that
   * are not desired are deleted, services on other addresses are never touched.
   */
  applyTable(table: readonly DesiredService[], owned: readonly string[]): Promise<TableApplied>;
  /** The owned services with their counters. */
  tableStats(owned: readonly string[]): Promise<TableEntry[]>;
  /** Priority 0 adverts, VIPs and sysctls undone, the IPVS services on the owned VIPs removed. */
  stop(owned: readonly string[]): Promise<void>;
}
