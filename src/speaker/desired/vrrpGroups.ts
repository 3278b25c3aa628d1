import { createHash } from 'node:crypto';
import type { V1Node } from '@kubernetes/client-node';
import type { IpFamily } from '../net/ipAddress.js';

/** VRRP instances are per address family: the same VRID may run once for IPv4 and once for IPv6. */
export function groupKey(family: IpFamily, vrid: number): string {
  return `${family}/${vrid}`;
}

function hash(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * The VRID of a VIP whose VirtualServers name no group: derived from the address, so every
 * speaker picks the same one without talking to the others.
 */
export function defaultVrid(vip: string): number {
  return (hash(`vrid ${vip}`).readUInt32BE(0) % 255) + 1;
}

/** Labelled nodes stay out of load balancing (the label kube-proxy and cloud providers honour). */
const excludeLabel = 'node.kubernetes.io/exclude-from-external-load-balancers';

/** A node that should win elections: Ready, and not excluded from load balancing. */
export function eligibleNode(node: V1Node): boolean {
  if (node.metadata?.labels && excludeLabel in node.metadata.labels) return false;
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

const lowest = 1;
/** 255 is the address owner's priority (RFC 5798); no speaker owns a VIP. */
const highest = 254;

/**
 * This node's VRRP priority in a group, by rendezvous hashing of (group, node) over the
 * eligible nodes: every speaker computes the same order, masters spread evenly over the
 * nodes, and adding or removing a node never reorders the others, so a master only moves to
 * a node that joins at the top (or away from one that leaves). Priorities are unique among
 * the first 254 nodes. A node that is not eligible ranks below every eligible one.
 */
export function nodePriority(group: string, self: string, eligible: readonly string[]): number {
  const others = [...new Set(eligible)].filter((name) => name !== self);
  const scores = new Map([...others, self].map((name) => [name, hash(`${group} ${name}`)]));
  const score = (name: string) => scores.get(name) as Buffer;
  const ranked = (nodes: string[]) => nodes.sort((a, b) => Buffer.compare(score(b), score(a)) || (a < b ? -1 : a > b ? 1 : 0));
  const order = eligible.includes(self) ? ranked([...others, self]) : [...ranked(others), self];
  return Math.max(lowest, highest - order.indexOf(self));
}
