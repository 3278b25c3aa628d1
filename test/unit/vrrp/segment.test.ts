import { describe, expect, it } from 'vitest';
import { initialState, step, type VrrpEvent, type VrrpInstanceConfig, type VrrpState } from '../../../src/speaker/vrrp/stateMachine.js';
import { masterDownIntervalMs, skewTimeMs } from '../../../src/speaker/vrrp/timers.js';

/** Several routers of one VRID on an in-memory segment, driven by simulated time. */
class Segment {
  now = 0;
  readonly states = new Map<string, VrrpState>();
  readonly configs = new Map<string, VrrpInstanceConfig>();
  readonly alive = new Set<string>();
  readonly log: { at: number; router: string; to: string }[] = [];
  private queue: { at: number; router: string; event: VrrpEvent }[] = [];

  add(name: string, priority: number, extra: Partial<VrrpInstanceConfig> = {}): void {
    const config = { vrid: 1, priority, advertIntervalCs: 100, preempt: true, preemptDelayMs: 0, primaryAddress: `10.0.0.${this.configs.size + 1}`, ...extra };
    this.configs.set(name, config);
    this.states.set(name, initialState(config));
    this.alive.add(name);
    this.deliver(name, { type: 'startup' });
  }

  /** SIGKILL: the router vanishes without a word. */
  kill(name: string): void {
    this.alive.delete(name);
  }

  shutdown(name: string): void {
    this.deliver(name, { type: 'shutdown' });
    this.alive.delete(name);
  }

  private deliver(name: string, event: VrrpEvent): void {
    const config = this.configs.get(name)!;
    const { state, actions } = step(config, this.states.get(name)!, event, this.now);
    this.states.set(name, state);
    for (const action of actions) {
      if (action.type === 'transition') this.log.push({ at: this.now, router: name, to: action.to });
      if (action.type === 'send-advert') {
        for (const peer of this.alive) {
          if (peer === name) continue;
          this.queue.push({
            at: this.now + 1,
            router: peer,
            event: { type: 'advert', advert: { priority: action.priority, source: config.primaryAddress, maxAdvertIntervalCs: config.advertIntervalCs } },
          });
        }
      }
    }
  }

  run(until: number): void {
    for (;;) {
      const timers = [...this.alive].flatMap((router) => {
        const at = this.states.get(router)!.timer?.at;
        return at === undefined ? [] : [{ at, router, event: { type: 'timer' } as VrrpEvent }];
      });
      const next = [...this.queue, ...timers].sort((a, b) => a.at - b.at)[0];
      if (!next || next.at > until) break;
      this.queue = this.queue.filter((e) => e !== next);
      this.now = next.at;
      if (this.alive.has(next.router)) this.deliver(next.router, next.event);
    }
    this.now = until;
  }

  masters(): string[] {
    return [...this.alive].filter((r) => this.states.get(r)!.name === 'master');
  }
}

describe('VRRPv3 on an in-memory segment', () => {
  it('elects the highest priority and keeps one master', () => {
    const s = new Segment();
    s.add('a', 100);
    s.add('b', 150);
    s.add('c', 120);
    s.run(20_000);
    expect(s.masters()).toEqual(['b']);
  });

  it('after a SIGKILL, the next priority takes over within Master_Down_Interval of the last advertisement', () => {
    const s = new Segment();
    s.add('a', 100);
    s.add('b', 150);
    s.add('c', 120);
    s.run(20_000);
    s.kill('b');
    s.run(30_000);
    expect(s.masters()).toEqual(['c']);
    const takeover = s.log.find((e) => e.router === 'c' && e.to === 'master')!;
    // b last advertised at most one interval before 20 s; c waits its own MDI after that.
    expect(takeover.at).toBeGreaterThan(20_000 - 1000 + masterDownIntervalMs(120, 100));
    expect(takeover.at).toBeLessThanOrEqual(20_000 + 1 + masterDownIntervalMs(120, 100));
    expect(s.log.some((e) => e.router === 'a' && e.to === 'master')).toBe(false);
  });

  it('after a clean shutdown (priority 0), the takeover takes only Skew_Time', () => {
    const s = new Segment();
    s.add('a', 100);
    s.add('b', 150);
    s.add('c', 120);
    s.run(20_000);
    s.shutdown('b');
    s.run(30_000);
    expect(s.masters()).toEqual(['c']);
    const takeover = s.log.find((e) => e.router === 'c' && e.to === 'master')!;
    expect(takeover.at).toBeCloseTo(20_000 + 1 + skewTimeMs(120, 100));
  });

  it('a returning higher priority preempts, and without preempt it does not', () => {
    const s = new Segment();
    s.add('a', 100);
    s.run(10_000);
    s.add('b', 200);
    s.run(20_000);
    expect(s.masters()).toEqual(['b']);

    const n = new Segment();
    n.add('a', 100);
    n.run(10_000);
    n.add('b', 200, { preempt: false });
    n.run(20_000);
    expect(n.masters()).toEqual(['a']);
  });

  it('breaks a priority tie by the greater primary address', () => {
    const s = new Segment();
    s.add('a', 100, { primaryAddress: '10.0.0.9' });
    s.add('b', 100, { primaryAddress: '10.0.0.10' });
    s.add('c', 100, { primaryAddress: '10.0.0.2' });
    s.run(20_000);
    expect(s.masters()).toEqual(['b']);
  });

  it('recovers from two masters once they hear each other', () => {
    const s = new Segment();
    s.add('a', 100);
    s.add('b', 150);
    // Force both into master, as after a partition heals.
    s.states.set('a', { name: 'master', masterAdvertIntervalCs: 100, timer: { kind: 'advert', at: 10 } });
    s.run(10_000);
    expect(s.masters()).toEqual(['b']);
  });
});
