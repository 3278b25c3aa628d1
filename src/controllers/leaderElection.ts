import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease, type V1LeaseSpec } from '@kubernetes/client-node';
import { z } from 'zod';
import type { Logger } from '../log.js';

const leaderElectionOptions = z
  .object({
    namespace: z.string().min(1),
    name: z.string().min(1),
    identity: z.string().min(1),
    // Written into the Lease, whose field is an integer number of seconds.
    leaseDurationSeconds: z.number().int().positive().default(15),
    renewDeadlineSeconds: z.number().positive().default(10),
    retryPeriodSeconds: z.number().positive().default(2),
  })
  .refine((o) => o.renewDeadlineSeconds < o.leaseDurationSeconds, {
    message: 'renewDeadlineSeconds must be below leaseDurationSeconds, or a leader could act after others think its lease expired',
  })
  .refine((o) => o.retryPeriodSeconds < o.renewDeadlineSeconds, { message: 'retryPeriodSeconds must be below renewDeadlineSeconds, or a leader never renews in time' });

export type LeaderElectionOptions = z.input<typeof leaderElectionOptions>;
type Settings = z.output<typeof leaderElectionOptions>;

export type LeaseDecision =
  | { action: 'create' }
  | { action: 'acquire'; reason: 'expired' | 'released'; previousHolder?: string }
  | { action: 'renew' }
  | { action: 'wait'; holder: string; until: Date };

/** The Lease's MicroTimes arrive as strings from the client's deserializer, and as Dates from our own writes. */
function timeOf(value: Date | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

/** What this identity should do about the Lease as it is now. Pure: the caller reads and writes. */
export function decideLease(lease: V1Lease | undefined, identity: string, now: Date, options: Pick<LeaderElectionOptions, 'leaseDurationSeconds'>): LeaseDecision {
  if (!lease) return { action: 'create' };
  const spec = lease.spec ?? {};
  const holder = spec.holderIdentity;
  if (!holder) return { action: 'acquire', reason: 'released' };
  if (holder === identity) return { action: 'renew' };
  const renewedAt = timeOf(spec.renewTime) ?? timeOf(spec.acquireTime);
  const durationSeconds = spec.leaseDurationSeconds ?? options.leaseDurationSeconds ?? 15;
  if (renewedAt === undefined) return { action: 'acquire', reason: 'expired', previousHolder: holder };
  const until = renewedAt + durationSeconds * 1000;
  if (now.getTime() >= until) return { action: 'acquire', reason: 'expired', previousHolder: holder };
  return { action: 'wait', holder, until: new Date(until) };
}

/** The spec to write for a create, acquire or renew decision. */
export function leaseSpecFor(decision: 'create' | 'acquire' | 'renew', previous: V1LeaseSpec | undefined, identity: string, now: Date, leaseDurationSeconds: number): V1LeaseSpec {
  const at = new V1MicroTime(now.getTime());
  const base = { holderIdentity: identity, leaseDurationSeconds, renewTime: at };
  if (decision === 'create') return { ...base, acquireTime: at, leaseTransitions: 0 };
  if (decision === 'acquire') return { ...previous, ...base, acquireTime: at, leaseTransitions: (previous?.leaseTransitions ?? 0) + 1 };
  const acquiredAt = timeOf(previous?.acquireTime);
  return { ...previous, ...base, acquireTime: new V1MicroTime(acquiredAt ?? now.getTime()) };
}

/** A released Lease: no holder, so any candidate may take it at once. */
export function releasedLeaseSpec(previous: V1LeaseSpec | undefined, now: Date): V1LeaseSpec {
  const acquiredAt = timeOf(previous?.acquireTime);
  return {
    ...previous,
    holderIdentity: undefined,
    leaseDurationSeconds: 1,
    renewTime: new V1MicroTime(now.getTime()),
    acquireTime: acquiredAt === undefined ? undefined : new V1MicroTime(acquiredAt),
  };
}

export interface LeaderElectionCallbacks {
  /** Runs the leader's work; stop it when signal aborts. A returned promise is awaited before this replica releases or re-acquires the Lease. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  onStoppedLeading(): void;
}

export interface LeaderElector {
  isLeader(): boolean;
  /** Stops the leader's work (abort, then waits for onStartedLeading's promise), then releases the Lease. */
  stop(): Promise<void>;
}

function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

class LeaseRequestTimeout extends Error {}

async function withTimeout<T>(request: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LeaseRequestTimeout(`${what} got no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([request, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Campaigns for the Lease until stopped, like client-go's leaderelection: candidates poll every retry
 * period; the leader renews every retry period and steps down as soon as it sees another holder, or when
 * renewDeadline passes without a successful renew. Writes carry the resourceVersion read, so of two
 * racing writers the apiserver accepts one (409 for the other). After losing, it campaigns again, once
 * the previous onStartedLeading has finished.
 */
export function startLeaderElection(kc: KubeConfig, rawOptions: LeaderElectionOptions, callbacks: LeaderElectionCallbacks, log: Logger): LeaderElector {
  const options: Settings = leaderElectionOptions.parse(rawOptions);
  const { namespace, name, identity } = options;
  const api = kc.makeApiClient(CoordinationV1Api);
  const retryMs = options.retryPeriodSeconds * 1000;
  const renewDeadlineMs = options.renewDeadlineSeconds * 1000;
  const context = { namespace, lease: name, identity };

  let leading = false;
  let stopped = false;
  let leaderAbort: AbortController | undefined;
  let work: Promise<void> | undefined;
  let renewDeadline: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let observedHolder: string | undefined;

  const call = <T>(request: Promise<T>, what: string) => withTimeout(request, renewDeadlineMs, what);
  const read = async (): Promise<V1Lease | undefined> => {
    try {
      return await call(api.readNamespacedLease({ name, namespace }), 'reading the Lease');
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw err;
    }
  };
  /** false when another writer got there first (409). */
  const write = async (request: () => Promise<V1Lease>, what: string): Promise<boolean> => {
    try {
      await call(request(), what);
      return true;
    } catch (err) {
      if (statusCode(err) === 409) return false;
      throw err;
    }
  };

  function startLeading(): void {
    leading = true;
    leaderAbort = new AbortController();
    log.info({ ...context, event: 'leader.started' }, 'became leader');
    const signal = leaderAbort.signal;
    work = (async () => {
      try {
        await callbacks.onStartedLeading(signal);
      } catch (err) {
        log.error({ ...context, event: 'leader.work_failed', err }, 'onStartedLeading failed');
      }
    })().finally(() => {
      work = undefined;
    });
  }

  function stopLeading(reason: string): void {
    if (!leading) return;
    leading = false;
    clearTimeout(renewDeadline);
    leaderAbort?.abort(new Error(`leadership lost: ${reason}`));
    log.warn({ ...context, event: 'leader.stopped', reason }, 'stopped leading');
    try {
      callbacks.onStoppedLeading();
    } catch (err) {
      log.error({ ...context, event: 'leader.callback_failed', err }, 'onStoppedLeading failed');
    }
  }

  /** Counted from when the successful attempt began, since that is the renewTime others see. */
  function armRenewDeadline(attemptStartedAt: number): void {
    clearTimeout(renewDeadline);
    const remaining = renewDeadlineMs - (Date.now() - attemptStartedAt);
    renewDeadline = setTimeout(() => stopLeading(`no successful renew within ${options.renewDeadlineSeconds}s`), Math.max(0, remaining));
  }

  async function attempt(): Promise<boolean> {
    const now = new Date();
    const lease = await read();
    const decision = decideLease(lease, identity, now, options);
    if (decision.action === 'wait') {
      if (leading) stopLeading(`the Lease is held by ${decision.holder}`);
      log.debug({ ...context, event: 'leader.waiting', holder: decision.holder, until: decision.until.toISOString() }, 'waiting for the Lease');
      if (observedHolder !== decision.holder) {
        observedHolder = decision.holder;
        log.info({ ...context, event: 'leader.observed', holder: decision.holder, until: decision.until.toISOString() }, 'the Lease is held by another replica');
      }
      return false;
    }
    if (decision.action === 'renew' && !leading) log.info({ ...context, event: 'leader.reclaiming' }, 'the Lease still names this identity; renewing it');
    const spec = leaseSpecFor(decision.action, lease?.spec, identity, now, options.leaseDurationSeconds);
    if (decision.action === 'create') {
      return write(() => api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec } }), 'creating the Lease');
    }
    const resourceVersion = lease?.metadata?.resourceVersion;
    const won = await write(() => api.replaceNamespacedLease({ name, namespace, body: { metadata: { name, namespace, resourceVersion }, spec } }), 'updating the Lease');
    if (won && decision.action === 'acquire') log.info({ ...context, event: 'leader.acquired', reason: decision.reason, previousHolder: decision.previousHolder }, 'acquired the Lease');
    return won;
  }

  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async function campaign(): Promise<void> {
    while (!stopped) {
      // A new term waits for the old one's work to finish, so two never overlap in this process.
      if (leading || !work) {
        const startedAt = Date.now();
        try {
          if (await attempt()) {
            if (stopped) break;
            // The deadline may have ended the term during this attempt; then the old work must finish first.
            if (!leading && !work) startLeading();
            if (leading) armRenewDeadline(startedAt);
          }
        } catch (err) {
          log.warn({ ...context, event: 'leader.attempt_failed', leading, err }, leading ? 'renewing the Lease failed' : 'trying to acquire the Lease failed');
        }
      }
      if (stopped) break;
      // Jitter keeps candidates from polling in lockstep.
      await pause(leading ? retryMs : retryMs * (1 + Math.random() * 0.2));
    }
  }

  async function release(): Promise<void> {
    try {
      const lease = await read();
      if (lease?.spec?.holderIdentity !== identity) return;
      const spec = releasedLeaseSpec(lease.spec, new Date());
      const resourceVersion = lease.metadata?.resourceVersion;
      const released = await write(() => api.replaceNamespacedLease({ name, namespace, body: { metadata: { name, namespace, resourceVersion }, spec } }), 'releasing the Lease');
      log.info({ ...context, event: released ? 'leader.released' : 'leader.release_conflict' }, released ? 'released the Lease' : 'the Lease changed while releasing it; left as it is');
    } catch (err) {
      log.warn({ ...context, event: 'leader.release_failed', err }, 'releasing the Lease failed; others take it when it expires');
    }
  }

  const campaigning = campaign();
  log.info({ ...context, event: 'leader.campaigning' }, 'campaigning for the Lease');

  return {
    isLeader: () => leading,
    async stop() {
      if (stopped) return;
      stopped = true;
      wake?.();
      await campaigning;
      stopLeading('stopping');
      await work;
      // Checks the holder first: even a replica that was not leading may be named (a timed-out write that landed).
      await release();
    },
  };
}
