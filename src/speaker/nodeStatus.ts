import type { VirtualServerStatus } from '../kube/virtualServer.js';
import type { NodeState } from './nodeState.js';

/**
 * The status fields this speaker owns in each VirtualServer (applied with its own field
 * manager): its entry in status.nodes, and nothing else. The controller derives masterNode,
 * readyRealServers and the Programmed and Ready conditions from every node's entry: fields
 * several speakers wrote in turn were lost when one that had stepped back applied without them.
 * Pure.
 */
export function speakerStatuses(
  nodeName: string,
  state: Pick<NodeState, 'virtualServers' | 'rejected' | 'owners'>,
  failures: ReadonlyMap<string, string>,
): Map<string, VirtualServerStatus> {
  const failedBy = new Map<string, string>();
  for (const [service, message] of failures) {
    const owner = state.owners.get(service);
    if (owner !== undefined && !failedBy.has(owner)) failedBy.set(owner, `${service}: ${message}`);
  }
  const statuses = new Map<string, VirtualServerStatus>();
  for (const vs of state.virtualServers) {
    const failure = failedBy.get(vs.key);
    statuses.set(vs.key, {
      nodes: [{ name: nodeName, role: vs.role, programmed: failure === undefined, realServers: vs.realServers, message: failure === undefined ? vs.message : `IPVS write failed: ${failure}` }],
    });
  }
  for (const { key, reason } of state.rejected) {
    // An object without a name cannot be written to.
    if (key.includes('?')) continue;
    statuses.set(key, { nodes: [{ name: nodeName, programmed: false, message: `not programmed: ${reason}` }] });
  }
  return statuses;
}
