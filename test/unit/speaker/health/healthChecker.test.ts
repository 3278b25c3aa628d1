import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HealthChecker } from '../../../../src/speaker/health/healthChecker.js';
import type { ProbeResult, ProbeTarget } from '../../../../src/speaker/health/probes.js';
import type { HealthTarget } from '../../../../src/speaker/nodeState.js';

const log = pino({ level: 'silent' });
const check = { type: 'TCP' as const, intervalSeconds: 5, timeoutSeconds: 2, healthyThreshold: 1, unhealthyThreshold: 2 };
const target = (address: string, overrides: Partial<HealthTarget['check']> = {}): HealthTarget => ({
  key: `app/web ${address} 80`,
  virtualServer: 'app/web',
  address,
  port: 80,
  check: { ...check, ...overrides },
});

describe('HealthChecker', () => {
  let passing: Map<string, boolean>;
  let probes: string[];
  let changes: Array<[string, boolean]>;
  let checker: HealthChecker;

  beforeEach(() => {
    vi.useFakeTimers();
    passing = new Map();
    probes = [];
    changes = [];
    const probe = async (t: ProbeTarget): Promise<ProbeResult> => {
      probes.push(t.address);
      return { passed: passing.get(t.address) ?? true, detail: 'fake' };
    };
    checker = new HealthChecker(probe, { changed: (key, healthy) => changes.push([key, healthy]) }, log);
  });

  afterEach(() => {
    checker.stop();
    vi.useRealTimers();
  });

  it('probes each target at once, then every interval', async () => {
    checker.setTargets([target('10.0.0.1'), target('10.0.0.2')]);
    await vi.advanceTimersByTimeAsync(0);
    expect(probes).toEqual(['10.0.0.1', '10.0.0.2']);
    await vi.advanceTimersByTimeAsync(4999);
    expect(probes).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(probes).toHaveLength(4);
  });

  it('reports a real server that crosses a threshold, both ways', async () => {
    passing.set('10.0.0.1', false);
    checker.setTargets([target('10.0.0.1')]);
    await vi.advanceTimersByTimeAsync(0);
    expect(changes).toEqual([]);
    expect(checker.verdicts()).toEqual(new Map([['app/web 10.0.0.1 80', true]]));
    await vi.advanceTimersByTimeAsync(5000);
    expect(changes).toEqual([['app/web 10.0.0.1 80', false]]);
    expect(checker.verdicts().get('app/web 10.0.0.1 80')).toBe(false);
    passing.set('10.0.0.1', true);
    await vi.advanceTimersByTimeAsync(5000);
    expect(changes).toEqual([
      ['app/web 10.0.0.1 80', false],
      ['app/web 10.0.0.1 80', true],
    ]);
  });

  it('stops checking removed targets, restarts a target whose check changed, keeps unchanged ones', async () => {
    checker.setTargets([target('10.0.0.1'), target('10.0.0.2')]);
    await vi.advanceTimersByTimeAsync(0);
    checker.setTargets([target('10.0.0.1', { intervalSeconds: 1 })]);
    await vi.advanceTimersByTimeAsync(0);
    // 10.0.0.1 restarted at once with its new interval; 10.0.0.2 never again.
    expect(probes).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.1']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(probes).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.1', '10.0.0.1']);
    expect([...checker.verdicts().keys()]).toEqual(['app/web 10.0.0.1 80']);
    checker.setTargets([target('10.0.0.1', { intervalSeconds: 1 })]);
    await vi.advanceTimersByTimeAsync(0);
    expect(probes).toHaveLength(4);
  });

  it('counts a probe that throws as a failure', async () => {
    const failing = new HealthChecker(() => Promise.reject(new Error('boom')), { changed: (key, healthy) => changes.push([key, healthy]) }, log);
    failing.setTargets([target('10.0.0.9', { unhealthyThreshold: 1 })]);
    await vi.advanceTimersByTimeAsync(0);
    expect(changes).toEqual([['app/web 10.0.0.9 80', false]]);
    failing.stop();
  });
});
