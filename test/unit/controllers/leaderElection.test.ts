import { KubeConfig, type V1Lease, type V1LeaseSpec } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { decideLease, leaseSpecFor, releasedLeaseSpec, startLeaderElection } from '../../../src/controllers/leaderElection.js';

const now = new Date('2025-03-01T12:00:00.000Z');
const options = { leaseDurationSeconds: 15 };
const at = (offsetMs: number) => new Date(now.getTime() + offsetMs);
/** What the client hands back for a MicroTime: the apiserver's string, not a Date. */
const micro = (date: Date) => date.toISOString().replace('Z', '000Z') as unknown as Date;

function lease(spec: V1LeaseSpec | undefined): V1Lease {
  return { metadata: { name: 'tsvs-controller', namespace: 'tsvs', resourceVersion: '42' }, ...(spec ? { spec } : {}) };
}

describe('decideLease', () => {
  it('creates a Lease that does not exist', () => {
    expect(decideLease(undefined, 'a', now, options)).toEqual({ action: 'create' });
  });

  it('acquires a Lease without a holder at once, however recently it was renewed', () => {
    expect(decideLease(lease(undefined), 'a', now, options)).toEqual({ action: 'acquire', reason: 'released' });
    expect(decideLease(lease({}), 'a', now, options)).toEqual({ action: 'acquire', reason: 'released' });
    expect(decideLease(lease({ holderIdentity: '', renewTime: micro(now), leaseDurationSeconds: 15 }), 'a', now, options)).toEqual({ action: 'acquire', reason: 'released' });
  });

  it('renews its own Lease, even one that has expired', () => {
    expect(decideLease(lease({ holderIdentity: 'a', renewTime: micro(now), leaseDurationSeconds: 15 }), 'a', now, options)).toEqual({ action: 'renew' });
    expect(decideLease(lease({ holderIdentity: 'a', renewTime: micro(at(-60_000)), leaseDurationSeconds: 15 }), 'a', now, options)).toEqual({ action: 'renew' });
  });

  it('waits for a Lease another holds until renewTime + leaseDurationSeconds', () => {
    const held = lease({ holderIdentity: 'b', renewTime: micro(at(-5_000)), leaseDurationSeconds: 15 });
    expect(decideLease(held, 'a', now, options)).toEqual({ action: 'wait', holder: 'b', until: at(10_000) });
    expect(decideLease(held, 'a', at(9_999), options)).toEqual({ action: 'wait', holder: 'b', until: at(10_000) });
  });

  it('acquires another’s Lease from the moment it expires', () => {
    const held = lease({ holderIdentity: 'b', renewTime: micro(at(-5_000)), leaseDurationSeconds: 15 });
    expect(decideLease(held, 'a', at(10_000), options)).toEqual({ action: 'acquire', reason: 'expired', previousHolder: 'b' });
    expect(decideLease(held, 'a', at(3_600_000), options)).toEqual({ action: 'acquire', reason: 'expired', previousHolder: 'b' });
  });

  it('uses the duration the holder wrote, not its own', () => {
    const held = lease({ holderIdentity: 'b', renewTime: micro(now), leaseDurationSeconds: 60 });
    expect(decideLease(held, 'a', at(30_000), { leaseDurationSeconds: 5 })).toMatchObject({ action: 'wait', until: at(60_000) });
  });

  it('falls back to its own duration when the Lease has none', () => {
    const held = lease({ holderIdentity: 'b', renewTime: micro(now) });
    expect(decideLease(held, 'a', at(4_000), { leaseDurationSeconds: 5 })).toMatchObject({ action: 'wait', until: at(5_000) });
    expect(decideLease(held, 'a', at(5_000), { leaseDurationSeconds: 5 })).toMatchObject({ action: 'acquire', reason: 'expired' });
    expect(decideLease(held, 'a', at(14_000), {})).toMatchObject({ action: 'wait', until: at(15_000) });
  });

  it('falls back to acquireTime when renewTime is missing or unreadable', () => {
    const acquired = { holderIdentity: 'b', acquireTime: micro(at(-10_000)), leaseDurationSeconds: 15 };
    expect(decideLease(lease(acquired), 'a', now, options)).toMatchObject({ action: 'wait', until: at(5_000) });
    expect(decideLease(lease({ ...acquired, renewTime: 'yesterday' as unknown as Date }), 'a', now, options)).toMatchObject({ action: 'wait', until: at(5_000) });
  });

  it('treats a held Lease with no time at all as expired', () => {
    expect(decideLease(lease({ holderIdentity: 'b', leaseDurationSeconds: 15 }), 'a', now, options)).toEqual({ action: 'acquire', reason: 'expired', previousHolder: 'b' });
  });

  it('accepts Dates as well as the apiserver’s microsecond strings', () => {
    const held = lease({ holderIdentity: 'b', renewTime: at(-1_000), leaseDurationSeconds: 15 });
    expect(decideLease(held, 'a', now, options)).toMatchObject({ action: 'wait', until: at(14_000) });
  });
});

describe('leaseSpecFor and releasedLeaseSpec', () => {
  it('creates a Lease held by this identity that others must wait for and it renews', () => {
    const spec = leaseSpecFor('create', undefined, 'a', now, 15);
    expect(spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect(decideLease(lease(spec), 'b', at(14_999), options)).toMatchObject({ action: 'wait', holder: 'a' });
    expect(decideLease(lease(spec), 'a', at(14_999), options)).toEqual({ action: 'renew' });
  });

  it('writes MicroTimes with six fractional digits, as the apiserver requires', () => {
    const json = JSON.parse(JSON.stringify(leaseSpecFor('create', undefined, 'a', now, 15))) as Record<string, unknown>;
    expect(json.renewTime).toBe('2025-03-01T12:00:00.000000Z');
    expect(json.acquireTime).toBe('2025-03-01T12:00:00.000000Z');
  });

  it('counts a transition on acquire, keeping fields it does not own', () => {
    const previous = { holderIdentity: 'b', leaseDurationSeconds: 60, renewTime: micro(at(-120_000)), acquireTime: micro(at(-600_000)), leaseTransitions: 4, strategy: 'OldestEmulationVersion' };
    const spec = leaseSpecFor('acquire', previous, 'a', now, 15);
    expect(spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 5, strategy: 'OldestEmulationVersion' });
    expect(new Date(spec.acquireTime as Date).getTime()).toBe(now.getTime());
    expect(new Date(spec.renewTime as Date).getTime()).toBe(now.getTime());
  });

  it('moves only renewTime on renew', () => {
    const previous = { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: micro(at(-2_000)), acquireTime: micro(at(-600_000)), leaseTransitions: 3 };
    const spec = leaseSpecFor('renew', previous, 'a', now, 15);
    expect(spec).toMatchObject({ holderIdentity: 'a', leaseTransitions: 3 });
    expect(new Date(spec.acquireTime as Date).getTime()).toBe(at(-600_000).getTime());
    expect(new Date(spec.renewTime as Date).getTime()).toBe(now.getTime());
    expect(JSON.parse(JSON.stringify(spec)).acquireTime).toBe('2025-03-01T11:50:00.000000Z');
  });

  it('releases so that another identity may acquire at once', () => {
    const held = leaseSpecFor('create', undefined, 'a', now, 15);
    const released = releasedLeaseSpec(held, at(1_000));
    expect(released.holderIdentity).toBeUndefined();
    expect(decideLease(lease(released), 'b', at(1_001), options)).toEqual({ action: 'acquire', reason: 'released' });
    expect(leaseSpecFor('acquire', released, 'b', at(1_001), 15)).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });
});

describe('startLeaderElection options', () => {
  const log = pino({ level: 'silent' });
  const callbacks = { onStartedLeading: () => {}, onStoppedLeading: () => {} };
  const base = { namespace: 'tsvs', name: 'tsvs-controller', identity: 'pod-a' };

  it.each([
    [{ ...base, identity: '' }, /identity/],
    [{ ...base, leaseDurationSeconds: 1.5 }, /leaseDurationSeconds/],
    [{ ...base, leaseDurationSeconds: 10, renewDeadlineSeconds: 10 }, /renewDeadlineSeconds must be below leaseDurationSeconds/],
    [{ ...base, renewDeadlineSeconds: 2, retryPeriodSeconds: 2 }, /retryPeriodSeconds must be below renewDeadlineSeconds/],
    [{ ...base, retryPeriodSeconds: 0 }, /retryPeriodSeconds/],
  ])('refuses %j before touching the apiserver', (bad, message) => {
    expect(() => startLeaderElection(new KubeConfig(), bad, callbacks, log)).toThrow(message);
  });
});
