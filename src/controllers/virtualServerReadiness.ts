import type { Condition } from './conditions.js';
import type { VirtualServerNodeStatus } from '../kube/virtualServer.js';

export interface Readiness {
  masterNode?: string;
  readyRealServers?: number;
  programmed: Omit<Condition, 'lastTransitionTime'>;
  ready: Omit<Condition, 'lastTransitionTime'>;
}

/**
 * What the controller says of a VirtualServer from the speakers' own entries in
 * status.nodes: who is master, how many real servers are ready, and the Programmed and
 * Ready conditions. Entries of nodes that are gone or not Ready are left out: a dead
 * master's entry stays behind (only its speaker could withdraw it) and must not count.
 * Pure.
 */
export function virtualServerReadiness(input: {
  vipAllocated: boolean;
  entries: readonly VirtualServerNodeStatus[];
  liveNodes: ReadonlySet<string>;
  generation?: number;
}): Readiness {
  const { generation } = input;
  const live = input.entries.filter((e) => input.liveNodes.has(e.name)).sort((a, b) => a.name.localeCompare(b.name));
  // During an election two speakers may both say Master for a moment; a programmed one first.
  const masters = live.filter((e) => e.role === 'Master').sort((a, b) => Number(b.programmed === true) - Number(a.programmed === true));
  const master = masters[0];
  const unprogrammed = live.filter((e) => e.programmed === false);
  const condition = (type: 'Programmed' | 'Ready', ok: boolean, reason: string, message: string) => ({
    type,
    status: ok ? ('True' as const) : ('False' as const),
    reason,
    message,
    ...(generation !== undefined && { observedGeneration: generation }),
  });

  let programmed: Readiness['programmed'];
  if (!input.vipAllocated) programmed = condition('Programmed', false, 'NoVIP', 'no VIP is allocated yet');
  else if (!master) programmed = condition('Programmed', false, 'NoMaster', live.length === 0 ? 'no speaker on a Ready node reports this VirtualServer' : `no Ready node is VRRP master (reporting: ${live.map((e) => e.name).join(', ')})`);
  else if (unprogrammed.length > 0) {
    programmed = condition('Programmed', false, 'NodesNotProgrammed', unprogrammed.map((e) => `${e.name}: ${e.message ?? 'not programmed'}`).join('; '));
  } else programmed = condition('Programmed', true, 'Programmed', `master ${master.name}; ${live.length} node${live.length === 1 ? '' : 's'} programmed`);

  const readyRealServers = master?.realServers;
  let ready: Readiness['ready'];
  if (programmed.status !== 'True') ready = condition('Ready', false, programmed.reason, programmed.message);
  else if (!readyRealServers) ready = condition('Ready', false, 'NoReadyRealServers', 'no real server is ready and healthy');
  else ready = condition('Ready', true, 'Ready', `${readyRealServers} real server${readyRealServers === 1 ? '' : 's'} behind master ${master!.name}`);

  return { ...(master && { masterNode: master.name }), ...(readyRealServers !== undefined && { readyRealServers }), programmed, ready };
}
