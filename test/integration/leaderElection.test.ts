import { connect, createServer, type Server, type Socket } from 'node:net';
import { CoordinationV1Api, KubeConfig, V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLeaderElection, type LeaderElectionOptions, type LeaderElector } from '../../src/controllers/leaderElection.js';
import { createTestNamespace, testKubeConfig } from '../support/kube.js';
import { waitFor } from '../support/processes.js';

interface Candidate {
  identity: string;
  elector: LeaderElector;
  logs: Array<Record<string, unknown>>;
  /** Callback and work milestones, in the order they happened. */
  events: string[];
  /** The Lease's holder as the leader's work saw it after its abort, before winding down. */
  holdersAtWindDown: Array<string | undefined>;
  signals: AbortSignal[];
}

/** A TCP relay to the apiserver that the test can cut, to make renewals fail for real. */
async function startRelay(target: URL, port = 0): Promise<{ port: number; cut(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    cut: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function viaRelay(kc: KubeConfig, relayPort: number): KubeConfig {
  const relayed = new KubeConfig();
  relayed.loadFromOptions({
    clusters: kc.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${relayPort}` })),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return relayed;
}

describe('leader election on a real coordination.k8s.io/v1 Lease', () => {
  let kc: KubeConfig;
  let leases: CoordinationV1Api;
  let namespace: string;
  const running: Candidate[] = [];

  // Long leases: a takeover within a few seconds can only come from a release or a step-down, not expiry.
  const timing = { leaseDurationSeconds: 30, renewDeadlineSeconds: 2, retryPeriodSeconds: 0.2 };

  beforeAll(async () => {
    kc = testKubeConfig();
    leases = kc.makeApiClient(CoordinationV1Api);
    namespace = await createTestNamespace(kc, 'leader');
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((c) => c.elector.stop()));
  });

  const readLease = (name: string) => leases.readNamespacedLease({ name, namespace });

  function campaign(identity: string, lease: string, overrides: Partial<LeaderElectionOptions> = {}, config = kc, windDown: Promise<void> = Promise.resolve()): Candidate {
    const logs: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
    const events: string[] = [];
    const signals: AbortSignal[] = [];
    const holdersAtWindDown: Array<string | undefined> = [];
    const elector = startLeaderElection(
      config,
      { namespace, name: lease, identity, ...timing, ...overrides },
      {
        // The leader's work runs until aborted, then takes a moment to wind down.
        onStartedLeading: async (signal) => {
          events.push('started');
          signals.push(signal);
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
          events.push('aborted');
          holdersAtWindDown.push((await readLease(lease)).spec?.holderIdentity);
          await windDown;
          events.push('work-done');
        },
        onStoppedLeading: () => void events.push('stopped'),
      },
      log,
    );
    const candidate = { identity, elector, logs, events, signals, holdersAtWindDown };
    running.push(candidate);
    return candidate;
  }

  const observed = (c: Candidate, holder: string) => c.logs.some((l) => l.event === 'leader.observed' && l.holder === holder);
  const leaseHeldBy = (holder: string, durationSeconds = 30): V1Lease['spec'] => ({
    holderIdentity: holder,
    leaseDurationSeconds: durationSeconds,
    acquireTime: new V1MicroTime(),
    renewTime: new V1MicroTime(),
    leaseTransitions: 0,
  });

  it('lets exactly one of two candidates lead, and the Lease names it', async () => {
    const a = campaign('a', 'two');
    const b = campaign('b', 'two');
    await waitFor('a leader', async () => a.elector.isLeader() || b.elector.isLeader(), 20_000, 50);
    const [leader, follower] = a.elector.isLeader() ? [a, b] : [b, a];
    await waitFor('the other candidate to see the leader', async () => observed(follower, leader.identity), 20_000, 50);
    expect(leader.elector.isLeader()).toBe(true);
    expect(follower.elector.isLeader()).toBe(false);
    expect(follower.events).toEqual([]);
    expect(leader.events).toEqual(['started']);
    const lease = await readLease('two');
    expect(lease.spec).toMatchObject({ holderIdentity: leader.identity, leaseDurationSeconds: 30 });
    // The leader keeps renewing: renewTime moves on.
    const firstRenew = new Date(lease.spec?.renewTime as Date).getTime();
    await waitFor('a renewal', async () => new Date((await readLease('two')).spec?.renewTime as Date).getTime() > firstRenew, 10_000, 50);
  });

  it('hands over at once when the leader stops: its work ends, then it releases the Lease', async () => {
    let letWorkFinish!: () => void;
    const a = campaign('a', 'handover', {}, kc, new Promise<void>((resolve) => (letWorkFinish = resolve)));
    await waitFor('a to lead', async () => a.elector.isLeader(), 20_000, 50);
    const b = campaign('b', 'handover');
    await waitFor('b to see a holding the Lease', async () => observed(b, 'a'), 20_000, 50);
    const stoppedAt = Date.now();
    let stopped = false;
    const stopping = a.elector.stop().then(() => (stopped = true));
    await waitFor('a to abort its work', async () => a.events.includes('aborted'), 10_000, 50);
    // While a's work winds down, b keeps finding the Lease held by a: two of b's attempts, the second begun after the abort.
    const seen = b.logs.length;
    const waitingOnA = () => b.logs.slice(seen).filter((l) => l.event === 'leader.waiting' && l.holder === 'a').length;
    await waitFor('b to find the Lease still held by a', async () => waitingOnA() >= 2, 10_000, 50);
    expect(stopped).toBe(false);
    expect(b.elector.isLeader()).toBe(false);
    letWorkFinish();
    await stopping;
    expect(a.events).toEqual(['started', 'stopped', 'aborted', 'work-done']);
    expect(a.holdersAtWindDown).toEqual(['a']);
    expect(a.signals[0]?.aborted).toBe(true);
    expect(a.logs.some((l) => l.event === 'leader.released')).toBe(true);
    // 30 s lease: anything well under that is a takeover of a released Lease, not an expired one.
    await waitFor('b to take over the released Lease', async () => b.elector.isLeader(), 10_000, 50);
    expect(Date.now() - stoppedAt).toBeLessThan(timing.leaseDurationSeconds * 1000);
    expect(a.elector.isLeader()).toBe(false);
    expect((await readLease('handover')).spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    expect(b.logs.find((l) => l.event === 'leader.acquired')).toMatchObject({ reason: 'released' });
  });

  it('respects a Lease that a third identity holds, and takes it once released', async () => {
    await leases.createNamespacedLease({ namespace, body: { metadata: { name: 'third' }, spec: leaseHeldBy('other-controller') } });
    const a = campaign('a', 'third');
    const b = campaign('b', 'third');
    await waitFor('both candidates to see the third holder', async () => observed(a, 'other-controller') && observed(b, 'other-controller'), 20_000, 50);
    expect(a.elector.isLeader() || b.elector.isLeader()).toBe(false);
    expect((await readLease('third')).spec?.holderIdentity).toBe('other-controller');

    const held = await readLease('third');
    await leases.replaceNamespacedLease({ name: 'third', namespace, body: { ...held, spec: { ...held.spec, holderIdentity: undefined } } });
    await waitFor('a candidate to take the released Lease', async () => a.elector.isLeader() || b.elector.isLeader(), 10_000, 50);
    const leader = a.elector.isLeader() ? a : b;
    expect((await readLease('third')).spec?.holderIdentity).toBe(leader.identity);
  });

  it('steps down when another holder overwrites its Lease', async () => {
    const a = campaign('a', 'overwrite');
    await waitFor('a to lead', async () => a.elector.isLeader(), 20_000, 50);
    const current = await readLease('overwrite');
    await leases.replaceNamespacedLease({ name: 'overwrite', namespace, body: { metadata: current.metadata, spec: leaseHeldBy('other-controller') } });
    await waitFor('a to step down', async () => a.events.includes('stopped'), 10_000, 50);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.signals[0]?.aborted).toBe(true);
    expect(a.logs.find((l) => l.event === 'leader.stopped')).toMatchObject({ reason: 'the Lease is held by other-controller' });
    expect((await readLease('overwrite')).spec?.holderIdentity).toBe('other-controller');
  });

  it('loses leadership when the Lease is deleted and recreated by another holder', async () => {
    const a = campaign('a', 'recreated');
    await waitFor('a to lead', async () => a.elector.isLeader(), 20_000, 50);
    // a recreates a missing Lease itself on its next attempt; repeat until the other holder's create wins that race.
    const recreate = async () => {
      await leases.deleteNamespacedLease({ name: 'recreated', namespace });
      return leases
        .createNamespacedLease({ namespace, body: { metadata: { name: 'recreated' }, spec: leaseHeldBy('other-controller') } })
        .then(() => true)
        .catch((err: { code?: number }) => {
          if (err.code === 409) return false;
          throw err;
        });
    };
    let won = false;
    for (let tries = 0; tries < 5 && !won; tries++) won = await recreate();
    expect(won).toBe(true);
    await waitFor('a to lose leadership', async () => a.events.includes('stopped'), 10_000, 50);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.signals[0]?.aborted).toBe(true);
    expect((await readLease('recreated')).spec?.holderIdentity).toBe('other-controller');
  });

  it('stops leading when renewals fail past the renew deadline, and leads again once they succeed', async () => {
    const target = new URL(kc.getCurrentCluster()?.server ?? '');
    const relay = await startRelay(target);
    const a = campaign('a', 'partition', { renewDeadlineSeconds: 1 }, viaRelay(kc, relay.port));
    await waitFor('a to lead', async () => a.elector.isLeader(), 20_000, 50);
    await relay.cut();
    await waitFor('a to give up after its renew deadline', async () => a.events.includes('stopped'), 10_000, 50);
    // It tolerated failed renewals until the deadline, rather than stepping down at the first.
    const firstFailure = a.logs.findIndex((l) => l.event === 'leader.attempt_failed' && l.leading === true);
    expect(firstFailure).toBeGreaterThanOrEqual(0);
    expect(firstFailure).toBeLessThan(a.logs.findIndex((l) => l.event === 'leader.stopped'));
    expect(a.signals[0]?.aborted).toBe(true);
    expect(a.logs.find((l) => l.event === 'leader.stopped')).toMatchObject({ reason: 'no successful renew within 1s' });
    expect(a.logs.some((l) => l.event === 'leader.attempt_failed' && l.leading === true)).toBe(true);
    // Nobody else took it: the Lease still names a, which renews it (a new term) when the apiserver is back.
    expect((await readLease('partition')).spec?.holderIdentity).toBe('a');
    const restored = await startRelay(target, relay.port);
    try {
      await waitFor('a to lead again', async () => a.elector.isLeader(), 20_000, 50);
      expect(a.events).toEqual(['started', 'stopped', 'aborted', 'work-done', 'started']);
      expect(a.signals[1]?.aborted).toBe(false);
      await a.elector.stop();
    } finally {
      await restored.cut();
    }
  });
});
