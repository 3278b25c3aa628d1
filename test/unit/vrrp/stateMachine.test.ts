import { describe, expect, it } from 'vitest';
import { initialState, nextDeadline, step, type VrrpInstanceConfig, type VrrpState } from '../../../src/speaker/vrrp/stateMachine.js';
import { masterDownIntervalMs, skewTimeMs } from '../../../src/speaker/vrrp/timers.js';

const config: VrrpInstanceConfig = { vrid: 51, priority: 100, advertIntervalCs: 100, preempt: true, preemptDelayMs: 0, primaryAddress: '10.9.0.5' };
const T = 1_000_000;

function backupAt(now: number, c: VrrpInstanceConfig = config): VrrpState {
  return step(c, initialState(c), { type: 'startup' }, now).state;
}
function masterAt(now: number, c: VrrpInstanceConfig = config): VrrpState {
  const backup = backupAt(now - 10_000, c);
  return step(c, backup, { type: 'timer' }, backup.timer!.at).state;
}
const advert = (priority: number, source = '10.9.0.9', maxAdvertIntervalCs = 100) => ({ type: 'advert' as const, advert: { priority, source, maxAdvertIntervalCs } });

describe('timers (RFC 5798 §6.1)', () => {
  it('computes Skew_Time and Master_Down_Interval in milliseconds', () => {
    expect(skewTimeMs(100, 100)).toBeCloseTo(609.375);
    expect(masterDownIntervalMs(100, 100)).toBeCloseTo(3609.375);
    expect(masterDownIntervalMs(254, 10)).toBeCloseTo(300.78125);
    expect(skewTimeMs(255, 100)).toBeCloseTo(3.90625);
  });
});

describe('VRRPv3 state machine: Init', () => {
  it('startup with priority 255 sends an advertisement, announces and becomes master', () => {
    const owner = { ...config, priority: 255 };
    const { state, actions } = step(owner, initialState(owner), { type: 'startup' }, T);
    expect(state).toEqual({ name: 'master', masterAdvertIntervalCs: 100, timer: { kind: 'advert', at: T + 1000 } });
    expect(actions).toEqual([{ type: 'send-advert', priority: 255 }, { type: 'announce' }, { type: 'transition', from: 'init', to: 'master' }]);
  });

  it('startup otherwise takes its own interval as Master_Adver_Interval and arms the down timer', () => {
    const { state, actions } = step(config, initialState(config), { type: 'startup' }, T);
    expect(state).toEqual({ name: 'backup', masterAdvertIntervalCs: 100, timer: { kind: 'master-down', at: T + masterDownIntervalMs(100, 100) } });
    expect(actions).toEqual([{ type: 'transition', from: 'init', to: 'backup' }]);
  });

  it('does nothing before startup', () => {
    const state = initialState(config);
    expect(step(config, state, advert(200), T)).toEqual({ state, actions: [{ type: 'discard', reason: 'not-running' }] });
    expect(step(config, state, { type: 'timer' }, T)).toEqual({ state, actions: [] });
    expect(step(config, state, { type: 'shutdown' }, T)).toEqual({ state, actions: [] });
    expect(nextDeadline(state)).toBeUndefined();
  });
});

describe('VRRPv3 state machine: Backup', () => {
  it('shutdown cancels the down timer and returns to Init without sending', () => {
    const { state, actions } = step(config, backupAt(T), { type: 'shutdown' }, T + 10);
    expect(state.name).toBe('init');
    expect(nextDeadline(state)).toBeUndefined();
    expect(actions).toEqual([{ type: 'transition', from: 'backup', to: 'init' }]);
  });

  it('the down timer firing sends an advertisement, announces, arms Adver_Timer and becomes master', () => {
    const backup = backupAt(T);
    const at = backup.timer!.at;
    const { state, actions } = step(config, backup, { type: 'timer' }, at);
    expect(state).toEqual({ name: 'master', masterAdvertIntervalCs: 100, timer: { kind: 'advert', at: at + 1000 } });
    expect(actions).toEqual([{ type: 'send-advert', priority: 100 }, { type: 'announce' }, { type: 'transition', from: 'backup', to: 'master' }]);
  });

  it('a timer event before the deadline changes nothing', () => {
    const backup = backupAt(T);
    expect(step(config, backup, { type: 'timer' }, backup.timer!.at - 1)).toEqual({ state: backup, actions: [] });
  });

  it('an advertisement with priority 0 sets the down timer to Skew_Time', () => {
    const { state, actions } = step(config, backupAt(T), advert(0), T + 500);
    expect(state.timer).toEqual({ kind: 'master-down', at: T + 500 + skewTimeMs(100, 100) });
    expect(state.name).toBe('backup');
    expect(actions).toEqual([]);
  });

  it('an advertisement with a higher priority adopts its interval and resets the down timer', () => {
    const { state, actions } = step(config, backupAt(T), advert(150, '10.9.0.9', 25), T + 500);
    expect(state).toEqual({ name: 'backup', masterAdvertIntervalCs: 25, timer: { kind: 'master-down', at: T + 500 + masterDownIntervalMs(100, 25) } });
    expect(actions).toEqual([]);
  });

  it('an advertisement with an equal priority is accepted too', () => {
    const { state } = step(config, backupAt(T), advert(100, '10.9.0.1', 50), T + 500);
    expect(state.masterAdvertIntervalCs).toBe(50);
    expect(state.timer!.at).toBe(T + 500 + masterDownIntervalMs(100, 50));
  });

  it('with preempt off, a lower-priority advertisement is accepted as well', () => {
    const noPreempt = { ...config, preempt: false };
    const { state, actions } = step(noPreempt, backupAt(T, noPreempt), advert(50, '10.9.0.9', 200), T + 500);
    expect(state).toEqual({ name: 'backup', masterAdvertIntervalCs: 200, timer: { kind: 'master-down', at: T + 500 + masterDownIntervalMs(100, 200) } });
    expect(actions).toEqual([]);
  });

  it('otherwise a lower-priority advertisement is discarded, and the timer takes over', () => {
    const backup = backupAt(T);
    const { state, actions } = step(config, backup, advert(50), T + 500);
    expect(state.timer).toEqual(backup.timer);
    expect(actions).toEqual([{ type: 'discard', reason: 'lower-priority' }]);
    expect(step(config, state, { type: 'timer' }, backup.timer!.at).state.name).toBe('master');
  });

  it('with a preempt delay, follows a lower-priority master until the delay has run out', () => {
    const delayed = { ...config, preemptDelayMs: 5000 };
    let state = backupAt(T, delayed);
    for (let now = T + 1000; now < T + 5000; now += 1000) {
      const result = step(delayed, state, advert(50), now);
      expect(result.actions).toEqual([]);
      expect(result.state.timer!.at).toBe(now + masterDownIntervalMs(100, 100));
      expect(result.state.preemptAt).toBe(T + 6000);
      state = result.state;
    }
    const late = step(delayed, state, advert(50), T + 6000);
    expect(late.actions).toEqual([{ type: 'discard', reason: 'lower-priority' }]);
    expect(late.state.timer).toEqual(state.timer);
    expect(step(delayed, late.state, { type: 'timer' }, state.timer!.at).state.name).toBe('master');
  });

  it('a higher-priority advertisement restarts the preempt delay', () => {
    const delayed = { ...config, preemptDelayMs: 5000 };
    const waiting = step(delayed, backupAt(T, delayed), advert(50), T + 1000).state;
    const reset = step(delayed, waiting, advert(150), T + 2000).state;
    expect(reset.preemptAt).toBeUndefined();
    expect(step(delayed, reset, advert(50), T + 3000).state.preemptAt).toBe(T + 8000);
  });

  it('the address owner ignores advertisements', () => {
    const owner = { ...config, priority: 255 };
    const backup: VrrpState = { name: 'backup', masterAdvertIntervalCs: 100, timer: { kind: 'master-down', at: T } };
    expect(step(owner, backup, advert(254), T - 10).actions).toEqual([{ type: 'discard', reason: 'owner' }]);
  });
});

describe('VRRPv3 state machine: Master', () => {
  it('shutdown cancels Adver_Timer, sends priority 0 and returns to Init', () => {
    const { state, actions } = step(config, masterAt(T), { type: 'shutdown' }, T);
    expect(state.name).toBe('init');
    expect(nextDeadline(state)).toBeUndefined();
    expect(actions).toEqual([{ type: 'send-advert', priority: 0 }, { type: 'transition', from: 'master', to: 'init' }]);
  });

  it('Adver_Timer firing sends an advertisement and re-arms', () => {
    const master = masterAt(T);
    const at = master.timer!.at;
    const { state, actions } = step(config, master, { type: 'timer' }, at);
    expect(state.timer).toEqual({ kind: 'advert', at: at + 1000 });
    expect(actions).toEqual([{ type: 'send-advert', priority: 100 }]);
  });

  it('a late Adver_Timer keeps to the schedule, so lateness does not stretch the intervals', () => {
    const master = masterAt(T);
    const at = master.timer!.at;
    expect(step(config, master, { type: 'timer' }, at + 300).state.timer).toEqual({ kind: 'advert', at: at + 1000 });
  });

  it('an Adver_Timer a whole interval late restarts from now instead of sending a burst', () => {
    const master = masterAt(T);
    const at = master.timer!.at;
    expect(step(config, master, { type: 'timer' }, at + 1500).state.timer).toEqual({ kind: 'advert', at: at + 2500 });
  });

  it('an early timer event changes nothing', () => {
    const master = masterAt(T);
    expect(step(config, master, { type: 'timer' }, master.timer!.at - 1)).toEqual({ state: master, actions: [] });
  });

  it('an advertisement with priority 0 makes it send at once and re-arm', () => {
    const { state, actions } = step(config, masterAt(T), advert(0), T + 100);
    expect(state.name).toBe('master');
    expect(state.timer).toEqual({ kind: 'advert', at: T + 100 + 1000 });
    expect(actions).toEqual([{ type: 'send-advert', priority: 100 }]);
  });

  it('a higher-priority advertisement sends it to Backup with the sender interval', () => {
    const { state, actions } = step(config, masterAt(T), advert(101, '10.9.0.1', 30), T + 100);
    expect(state).toEqual({ name: 'backup', masterAdvertIntervalCs: 30, timer: { kind: 'master-down', at: T + 100 + masterDownIntervalMs(100, 30) } });
    expect(actions).toEqual([{ type: 'transition', from: 'master', to: 'backup' }]);
  });

  it('an equal priority from a greater primary address wins', () => {
    expect(step(config, masterAt(T), advert(100, '10.9.0.6'), T).state.name).toBe('backup');
    expect(step(config, masterAt(T), advert(100, '10.9.0.40'), T).state.name).toBe('backup');
  });

  it('an equal priority from a smaller primary address loses, compared as unsigned numbers', () => {
    const result = step({ ...config, primaryAddress: '200.0.0.1' }, masterAt(T, { ...config, primaryAddress: '200.0.0.1' }), advert(100, '10.0.0.1'), T);
    expect(result.state.name).toBe('master');
    expect(step(config, masterAt(T), advert(100, '10.9.0.4'), T).state.name).toBe('master');
  });

  it('compares IPv6 primary addresses the same way', () => {
    const six = { ...config, primaryAddress: 'fe80::20' };
    expect(step(six, masterAt(T, six), advert(100, 'fe80::3'), T).state.name).toBe('master');
    expect(step(six, masterAt(T, six), advert(100, 'fe80::1:0'), T).state.name).toBe('backup');
  });

  it('otherwise discards, answers at once (RFC 9568) and re-announces, keeping its timer', () => {
    const master = masterAt(T);
    const { state, actions } = step(config, master, advert(99), T + 100);
    expect(state).toEqual(master);
    expect(actions).toEqual([{ type: 'discard', reason: 'lower-priority' }, { type: 'send-advert', priority: 100 }, { type: 'announce' }]);
  });

  it('the address owner stays master whatever it hears', () => {
    const owner = { ...config, priority: 255 };
    const master = step(owner, initialState(owner), { type: 'startup' }, T).state;
    expect(step(owner, master, advert(255, '10.9.0.200'), T + 1)).toEqual({ state: master, actions: [{ type: 'discard', reason: 'owner' }] });
  });

  it('ignores a second startup', () => {
    const master = masterAt(T);
    expect(step(config, master, { type: 'startup' }, T)).toEqual({ state: master, actions: [] });
  });
});
