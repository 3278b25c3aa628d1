import type { VirtualServer } from '../../src/kube/virtualServer.js';

/** One node's IPVS table as `ipvsadm -Ln` shows it, keyed "TCP 10.9.0.100:80", and whether the VIP is on its NIC. */
export interface NodeView {
  ipvs: Record<string, Array<{ server: string; forward: string; weight: number }>>;
  vipOnNic: boolean;
}

interface NodeStatus {
  name: string;
  role?: string;
  programmed?: boolean;
  realServers?: number;
}

/**
 * What disagrees between the live nodes' kernels, the VirtualServer's status and the ready
 * endpoints (empty when all agree), for a one-port TCP service in two tiers:
 * - exactly one live node holds the VIP on its NIC, and status.masterNode names it;
 * - the master's table lists every expected endpoint (tier 1), each other node's its own (tier 2),
 *   by direct routing with a weight above 0; other entries only at weight 0 (draining);
 * - status.nodes has each live node, programmed, Master or Backup as the kernel says, and
 *   realServers equal to the active entries of its table.
 */
export function agreement(vs: VirtualServer, nodes: Record<string, NodeView>, expected: Array<{ ip: string; node: string }>, port: number): string[] {
  const problems: string[] = [];
  const vip = vs.status?.vip ?? vs.spec.vip;
  if (!vip) return ['the VirtualServer has no VIP'];
  const key = `TCP ${vip}:${port}`;
  const holders = Object.entries(nodes)
    .filter(([, view]) => view.vipOnNic)
    .map(([name]) => name);
  if (holders.length !== 1) problems.push(`${holders.length} live nodes hold ${vip} on their NIC (${holders.join(', ') || 'none'})`);
  const master = holders.length === 1 ? holders[0] : undefined;
  const status = vs.status as (VirtualServer['status'] & { nodes?: NodeStatus[] }) | undefined;
  if (master !== undefined && status?.masterNode !== master) problems.push(`status.masterNode is ${status?.masterNode ?? 'unset'}, the kernel says ${master}`);

  for (const [name, view] of Object.entries(nodes)) {
    const entries = view.ipvs[key] ?? [];
    const active = entries.filter((e) => e.weight > 0);
    const want = expected.filter((e) => name === master || e.node === name).map((e) => `${e.ip}:${port}`);
    const have = active.map((e) => e.server);
    const missing = want.filter((s) => !have.includes(s));
    const extra = have.filter((s) => !want.includes(s));
    const tier = name === master ? 'tier 1' : 'tier 2';
    if (missing.length > 0) problems.push(`${name} (${tier}) lacks ${missing.join(', ')}`);
    if (extra.length > 0) problems.push(`${name} (${tier}) still sends to ${extra.join(', ')}`);
    const notRouted = entries.filter((e) => e.forward !== 'Route').map((e) => `${e.server} ${e.forward}`);
    if (notRouted.length > 0) problems.push(`${name}: not direct routing: ${notRouted.join(', ')}`);
    if (want.length > 0 && view.ipvs[key] === undefined) problems.push(`${name} has no virtual service ${key}`);

    const entry = status?.nodes?.find((n) => n.name === name);
    if (!entry) {
      problems.push(`status.nodes has no ${name}`);
      continue;
    }
    if (entry.programmed !== true) problems.push(`status.nodes[${name}].programmed is ${String(entry.programmed)}`);
    const role = name === master ? 'Master' : 'Backup';
    if (master !== undefined && entry.role !== role) problems.push(`status.nodes[${name}].role is ${entry.role ?? 'unset'}, the kernel says ${role}`);
    if (entry.realServers !== active.length) problems.push(`status.nodes[${name}].realServers is ${entry.realServers ?? 'unset'}, ipvsadm lists ${active.length} active`);
  }
  return problems;
}
