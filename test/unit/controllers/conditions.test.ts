import { describe, expect, it } from 'vitest';
import { sameConditions, withCondition } from '../../../src/controllers/conditions.js';
import { matchesLabelSelector } from '../../../src/kube/labelSelector.js';

describe('withCondition', () => {
  const t0 = new Date('2026-01-01T00:00:00Z');
  const t1 = new Date('2026-01-02T00:00:00Z');

  it('adds a condition with the time of the change', () => {
    expect(withCondition(undefined, { type: 'Ready', status: 'True', reason: 'Ok', message: 'm' }, t0)).toEqual([
      { type: 'Ready', status: 'True', reason: 'Ok', message: 'm', lastTransitionTime: t0.toISOString() },
    ]);
  });

  it('keeps the transition time while the status stays, and moves it when the status changes', () => {
    const first = withCondition(undefined, { type: 'Ready', status: 'False', reason: 'A', message: 'a' }, t0);
    const same = withCondition(first, { type: 'Ready', status: 'False', reason: 'B', message: 'b' }, t1);
    expect(same[0]).toMatchObject({ reason: 'B', lastTransitionTime: t0.toISOString() });
    const flipped = withCondition(same, { type: 'Ready', status: 'True', reason: 'C', message: 'c' }, t1);
    expect(flipped[0]!.lastTransitionTime).toBe(t1.toISOString());
  });

  it('leaves other conditions alone', () => {
    const two = withCondition(withCondition(undefined, { type: 'A', status: 'True', reason: 'r', message: '' }, t0), { type: 'B', status: 'True', reason: 'r', message: '' }, t0);
    expect(withCondition(two, { type: 'B', status: 'False', reason: 'x', message: '' }, t1).map((c) => [c.type, c.status])).toEqual([['A', 'True'], ['B', 'False']]);
  });

  it('compares conditions without their times or order', () => {
    const a = withCondition(withCondition(undefined, { type: 'A', status: 'True', reason: 'r', message: '' }, t0), { type: 'B', status: 'True', reason: 'r', message: '' }, t0);
    const b = withCondition(withCondition(undefined, { type: 'B', status: 'True', reason: 'r', message: '' }, t1), { type: 'A', status: 'True', reason: 'r', message: '' }, t1);
    expect(sameConditions(a, b)).toBe(true);
    expect(sameConditions(a, withCondition(b, { type: 'A', status: 'True', reason: 'other', message: '' }, t1))).toBe(false);
  });
});

describe('matchesLabelSelector', () => {
  const labels = { team: 'a', tier: 'edge' };
  it.each([
    [undefined, true],
    [{}, true],
    [{ matchLabels: { team: 'a' } }, true],
    [{ matchLabels: { team: 'b' } }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['edge', 'core'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['edge'] }] }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['x'] }] }, true],
    [{ matchExpressions: [{ key: 'team', operator: 'Exists' }] }, true],
    [{ matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }, false],
    [{ matchExpressions: [{ key: 'team', operator: 'Bogus' }] }, false],
  ])('%j → %s', (selector, matches) => {
    expect(matchesLabelSelector(selector, labels)).toBe(matches);
  });
});
