import { compareIp } from '../net/ipAddress.js';
import { masterDownIntervalMs, skewTimeMs } from './timers.js';

/**
 * The VRRPv3 state machine of one virtual router (RFC 5798 §6.4, with the RFC 9568
 * clarifications), as a pure function of (config, state, event, now). It decides; the
 * caller sends packets, moves addresses and arms one timer at `state.timer.at`.
 */

export interface VrrpInstanceConfig {
  vrid: number;
  /** 1-255; 255 means this router owns the addresses. */
  priority: number;
  /** Advertisement_Interval, in centiseconds (1-4095). */
  advertIntervalCs: number;
  /** Preempt_Mode: a backup with a higher priority takes over from a lower-priority master. */
  preempt: boolean;
  /**
   * keepalived's preempt_delay: a backup that hears a lower-priority master waits this long
   * (from the first such advertisement) before it stops accepting it and preempts.
   */
  preemptDelayMs: number;
  /** The primary address this router sends from, which breaks priority ties. */
  primaryAddress: string;
}

export type VrrpStateName = 'init' | 'backup' | 'master';

export interface VrrpState {
  name: VrrpStateName;
  /** Master_Adver_Interval (centiseconds): the interval the current master advertises. */
  masterAdvertIntervalCs: number;
  /** The one running timer: Adver_Timer in master, Master_Down_Timer in backup. */
  timer?: { kind: 'advert' | 'master-down'; at: number };
  /** When a backup that keeps hearing a lower-priority master may preempt it. */
  preemptAt?: number;
}

/** A received advertisement that passed the receive checks. */
export interface ReceivedAdvert {
  priority: number;
  maxAdvertIntervalCs: number;
  source: string;
}

export type VrrpEvent = { type: 'startup' } | { type: 'shutdown' } | { type: 'timer' } | { type: 'advert'; advert: ReceivedAdvert };

export type VrrpAction =
  | { type: 'send-advert'; priority: number }
  /** Gratuitous ARP for every IPv4 VIP, unsolicited NA for every IPv6 VIP. */
  | { type: 'announce' }
  | { type: 'transition'; from: VrrpStateName; to: VrrpStateName }
  /** An advertisement that changed nothing, with the reason (for logs and metrics). */
  | { type: 'discard'; reason: 'not-running' | 'owner' | 'lower-priority' };

export interface VrrpStep {
  state: VrrpState;
  actions: VrrpAction[];
}

export function initialState(config: VrrpInstanceConfig): VrrpState {
  return { name: 'init', masterAdvertIntervalCs: config.advertIntervalCs };
}

/** The time the caller must next deliver a `timer` event, if any. */
export function nextDeadline(state: VrrpState): number | undefined {
  return state.timer?.at;
}

/**
 * The next Adver_Timer deadline after one that fired at `now`. It keeps to the schedule
 * (previous deadline + interval) when the timer fired late, so that a busy process does not
 * stretch every interval and make backups take over; if it is a whole interval behind, it
 * restarts from now rather than sending a burst.
 */
function nextAdvertAt(config: VrrpInstanceConfig, deadline: number, now: number): number {
  const next = deadline + config.advertIntervalCs * 10;
  return next > now ? next : now + config.advertIntervalCs * 10;
}

function toMaster(config: VrrpInstanceConfig, from: VrrpStateName, now: number): VrrpStep {
  return {
    state: { name: 'master', masterAdvertIntervalCs: config.advertIntervalCs, timer: { kind: 'advert', at: now + config.advertIntervalCs * 10 } },
    actions: [{ type: 'send-advert', priority: config.priority }, { type: 'announce' }, { type: 'transition', from, to: 'master' }],
  };
}

/** Backup with a fresh Master_Down_Timer computed from the given master interval. */
function backupFollowing(config: VrrpInstanceConfig, masterAdvertIntervalCs: number, now: number, preemptAt?: number): VrrpState {
  return {
    name: 'backup',
    masterAdvertIntervalCs,
    timer: { kind: 'master-down', at: now + masterDownIntervalMs(config.priority, masterAdvertIntervalCs) },
    ...(preemptAt === undefined ? {} : { preemptAt }),
  };
}

function onBackupAdvert(config: VrrpInstanceConfig, state: VrrpState, advert: ReceivedAdvert, now: number): VrrpStep {
  if (advert.priority === 0) {
    return { state: { ...state, timer: { kind: 'master-down', at: now + skewTimeMs(config.priority, state.masterAdvertIntervalCs) } }, actions: [] };
  }
  if (!config.preempt || advert.priority >= config.priority) {
    return { state: backupFollowing(config, advert.maxAdvertIntervalCs, now), actions: [] };
  }
  // A lower-priority master: keep following it until the preempt delay has run out.
  const preemptAt = state.preemptAt ?? now + config.preemptDelayMs;
  if (now < preemptAt) return { state: backupFollowing(config, advert.maxAdvertIntervalCs, now, preemptAt), actions: [] };
  return { state: { ...state, preemptAt }, actions: [{ type: 'discard', reason: 'lower-priority' }] };
}

function onMasterAdvert(config: VrrpInstanceConfig, state: VrrpState, advert: ReceivedAdvert, now: number): VrrpStep {
  if (advert.priority === 0) {
    return {
      state: { ...state, timer: { kind: 'advert', at: now + config.advertIntervalCs * 10 } },
      actions: [{ type: 'send-advert', priority: config.priority }],
    };
  }
  const yields = advert.priority > config.priority || (advert.priority === config.priority && compareIp(advert.source, config.primaryAddress) > 0);
  if (yields) {
    return { state: backupFollowing(config, advert.maxAdvertIntervalCs, now), actions: [{ type: 'transition', from: 'master', to: 'backup' }] };
  }
  // RFC 9568: answer a lower-priority master at once so that it steps down, and re-announce
  // because clients may have learnt its MAC while there were two masters.
  return {
    state,
    actions: [{ type: 'discard', reason: 'lower-priority' }, { type: 'send-advert', priority: config.priority }, { type: 'announce' }],
  };
}

function inInit(config: VrrpInstanceConfig, state: VrrpState, event: VrrpEvent, now: number): VrrpStep {
  if (event.type === 'startup') {
    if (config.priority === 255) return toMaster(config, 'init', now);
    return { state: backupFollowing(config, config.advertIntervalCs, now), actions: [{ type: 'transition', from: 'init', to: 'backup' }] };
  }
  if (event.type === 'advert') return { state, actions: [{ type: 'discard', reason: 'not-running' }] };
  return { state, actions: [] };
}

function inBackup(config: VrrpInstanceConfig, state: VrrpState, event: VrrpEvent, now: number): VrrpStep {
  switch (event.type) {
    case 'shutdown':
      return { state: initialState(config), actions: [{ type: 'transition', from: 'backup', to: 'init' }] };
    case 'timer':
      if (state.timer === undefined || now < state.timer.at) return { state, actions: [] };
      return toMaster(config, 'backup', now);
    case 'advert':
      if (config.priority === 255) return { state, actions: [{ type: 'discard', reason: 'owner' }] };
      return onBackupAdvert(config, state, event.advert, now);
    case 'startup':
      return { state, actions: [] };
  }
}

function inMaster(config: VrrpInstanceConfig, state: VrrpState, event: VrrpEvent, now: number): VrrpStep {
  switch (event.type) {
    case 'shutdown':
      return { state: initialState(config), actions: [{ type: 'send-advert', priority: 0 }, { type: 'transition', from: 'master', to: 'init' }] };
    case 'timer':
      if (state.timer === undefined || now < state.timer.at) return { state, actions: [] };
      return {
        state: { ...state, timer: { kind: 'advert', at: nextAdvertAt(config, state.timer.at, now) } },
        actions: [{ type: 'send-advert', priority: config.priority }],
      };
    case 'advert':
      if (config.priority === 255) return { state, actions: [{ type: 'discard', reason: 'owner' }] };
      return onMasterAdvert(config, state, event.advert, now);
    case 'startup':
      return { state, actions: [] };
  }
}

const handlers: Record<VrrpStateName, (config: VrrpInstanceConfig, state: VrrpState, event: VrrpEvent, now: number) => VrrpStep> = {
  init: inInit,
  backup: inBackup,
  master: inMaster,
};

/** Applies one event at time `now` (milliseconds, any monotonic origin). */
export function step(config: VrrpInstanceConfig, state: VrrpState, event: VrrpEvent, now: number): VrrpStep {
  return handlers[state.name](config, state, event, now);
}
