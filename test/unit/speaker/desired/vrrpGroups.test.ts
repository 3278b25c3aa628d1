import { describe, expect, it } from 'vitest';
import { defaultVrid, eligibleNode, groupKey, nodePriority } from '../../../../src/speaker/desired/vrrpGroups.js';
import { node } from './fixtures.js';

const groups = Array.from({ length: 120 }, (_, i) => groupKey(i % 2 === 0 ? 4 : 6, (i % 255) + 1));

function masterOf(group: string, nodes: string[]): string {
  const priorities = nodes.map((n) => [n, nodePriority(group, n, nodes)] as const);
  return priorities.reduce((best, entry) => (entry[1] > best[1] ? entry : best))[0];
}

describe('nodePriority (rendezvous hashing)', () => {
  it('is deterministic and unique per node, 254 down, never the owner priority 255', () => {
    const nodes = ['a', 'b', 'c', 'd', 'e'];
    for (const group of groups.slice(0, 10)) {
      const priorities = nodes.map((n) => nodePriority(group, n, nodes));
      expect(priorities.toSorted((x, y) => y - x)).toEqual([254, 253, 252, 251, 250]);
      expect(nodes.map((n) => nodePriority(group, n, [...nodes].reverse()))).toEqual(priorities);
    }
  });

  it('spreads masters over three nodes', () => {
    const nodes = ['node-1', 'node-2', 'node-3'];
    const counts = new Map<string, number>();
    for (const group of groups) counts.set(masterOf(group, nodes), (counts.get(masterOf(group, nodes)) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(nodes);
    // 120 groups over 3 nodes: 40 each on average; hashing keeps each well away from 0 and 120.
    for (const count of counts.values()) expect(count).toBeGreaterThan(20);
  });

  it('keeps the order of the other nodes when a node joins: a master moves only to the newcomer', () => {
    const before = ['node-1', 'node-2', 'node-3'];
    const after = [...before, 'node-4'];
    let moved = 0;
    for (const group of groups) {
      const order = (nodes: string[]) => nodes.filter((n) => before.includes(n)).sort((x, y) => nodePriority(group, y, nodes) - nodePriority(group, x, nodes));
      expect(order(after)).toEqual(order(before));
      const newMaster = masterOf(group, after);
      if (newMaster !== masterOf(group, before)) {
        expect(newMaster).toBe('node-4');
        moved++;
      }
    }
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThan(groups.length / 2);
  });

  it('ranks a node that is not eligible below every eligible one', () => {
    const eligible = ['a', 'b', 'c'];
    for (const group of groups.slice(0, 10)) expect(nodePriority(group, 'x', eligible)).toBe(251);
  });

  it('bottoms out at priority 1 beyond 254 nodes', () => {
    const many = Array.from({ length: 300 }, (_, i) => `n${i}`);
    const priorities = many.map((n) => nodePriority('4/1', n, many));
    expect(Math.min(...priorities)).toBe(1);
    expect(new Set(priorities).size).toBe(254);
  });
});

describe('defaultVrid', () => {
  it('is a VRID (1-255) that depends only on the VIP', () => {
    const vrids = Array.from({ length: 500 }, (_, i) => defaultVrid(`10.0.${i >> 8}.${i & 255}`));
    expect(Math.min(...vrids)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...vrids)).toBeLessThanOrEqual(255);
    expect(new Set(vrids).size).toBeGreaterThan(200);
    expect(defaultVrid('192.0.2.10')).toBe(defaultVrid('192.0.2.10'));
  });
});

describe('eligibleNode', () => {
  it('is a Ready node not excluded from load balancers', () => {
    expect(eligibleNode(node('a'))).toBe(true);
    expect(eligibleNode(node('a', { ready: false }))).toBe(false);
    expect(eligibleNode(node('a', { labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } }))).toBe(false);
    expect(eligibleNode({ metadata: { name: 'a' } })).toBe(false);
  });
});
