import { describe, expect, it } from 'vitest';
import { initialHealth, recordResult, type HealthState } from '../../../../src/speaker/health/healthState.js';

const run = (results: boolean[], thresholds = { healthyThreshold: 2, unhealthyThreshold: 3 }): boolean[] => {
  let state: HealthState = initialHealth;
  return results.map((passed) => (state = recordResult(state, passed, thresholds)).healthy);
};

describe('recordResult', () => {
  it('starts healthy and stays so until unhealthyThreshold failures in a row', () => {
    expect(initialHealth.healthy).toBe(true);
    expect(run([false, false, false])).toEqual([true, true, false]);
    expect(run([false, false, true, false, false, false])).toEqual([true, true, true, true, true, false]);
  });

  it('comes back after healthyThreshold passes in a row', () => {
    expect(run([false, false, false, true, true])).toEqual([true, true, false, false, true]);
    expect(run([false, false, false, true, false, true, true])).toEqual([true, true, false, false, false, false, true]);
  });

  it('with thresholds of 1 follows each result', () => {
    expect(run([false, true, false, true], { healthyThreshold: 1, unhealthyThreshold: 1 })).toEqual([false, true, false, true]);
  });

  it('counts the current run of equal results', () => {
    let state = recordResult(initialHealth, true, { healthyThreshold: 1, unhealthyThreshold: 1 });
    state = recordResult(state, true, { healthyThreshold: 1, unhealthyThreshold: 1 });
    expect(state).toEqual({ healthy: true, passes: 2, failures: 0 });
  });
});
