import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelayMs, WorkQueue, type WorkQueueOptions } from '../../../src/controllers/workQueue.js';

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A queue whose log lines are collected as parsed JSON. */
function makeQueue(handler: (key: string) => Promise<void>, options: Partial<WorkQueueOptions> = {}) {
  const logs: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const depths: number[] = [];
  let retries = 0;
  const queue = new WorkQueue(handler, { name: 'test', ...options }, log, { depth: (n) => void depths.push(n), retries: () => void retries++ });
  return { queue, logs, depths, retries: () => retries };
}

/** Lets promise callbacks run without moving the fake clock. */
const flush = () => vi.advanceTimersByTimeAsync(0);

describe('WorkQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('handles a key queued twice once', async () => {
    const handled: string[] = [];
    const { queue, depths } = makeQueue(async (key) => void handled.push(key));
    queue.add('a');
    queue.add('b');
    queue.add('a');
    expect(queue.depth).toBe(2);
    queue.start();
    await queue.idle();
    expect(handled).toEqual(['a', 'b']);
    expect(queue.depth).toBe(0);
    expect(depths.at(-1)).toBe(0);
    expect(Math.max(...depths)).toBe(2);
  });

  it('never handles one key concurrently, and handles a key added during its handling again afterwards', async () => {
    const gates: Deferred[] = [];
    let running = 0;
    let maxRunning = 0;
    const { queue } = makeQueue(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      const gate = deferred();
      gates.push(gate);
      await gate.promise;
      running--;
    });
    queue.start();
    queue.add('a');
    await flush();
    expect(gates).toHaveLength(1);
    queue.add('a');
    queue.add('a');
    await flush();
    // Four workers are free, yet the second 'a' waits for the first.
    expect(gates).toHaveLength(1);
    gates[0]?.resolve();
    await flush();
    expect(gates).toHaveLength(2);
    gates[1]?.resolve();
    await queue.idle();
    expect(gates).toHaveLength(2);
    expect(maxRunning).toBe(1);
  });

  it('runs at most `concurrency` handlers at once, and all of them eventually', async () => {
    const gates = new Map<string, Deferred>();
    const { queue } = makeQueue(
      async (key) => {
        const gate = deferred();
        gates.set(key, gate);
        await gate.promise;
      },
      { concurrency: 2 },
    );
    for (const key of ['a', 'b', 'c', 'd', 'e']) queue.add(key);
    queue.start();
    await flush();
    expect([...gates.keys()]).toEqual(['a', 'b']);
    expect(queue.depth).toBe(3);
    gates.get('b')?.resolve();
    await flush();
    expect([...gates.keys()]).toEqual(['a', 'b', 'c']);
    for (const key of ['a', 'c', 'd', 'e']) {
      gates.get(key)?.resolve();
      await flush();
    }
    await queue.idle();
    expect([...gates.keys()]).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('retries a failing key with exponential backoff up to the cap, logging each failure', async () => {
    const attemptsAt: number[] = [];
    const { queue, logs, retries } = makeQueue(
      async () => {
        attemptsAt.push(Date.now());
        throw new Error('apiserver said no');
      },
      { baseDelayMs: 10, maxDelayMs: 80 },
    );
    queue.start();
    const t0 = Date.now();
    queue.add('ns/svc');
    await vi.advanceTimersByTimeAsync(10 + 20 + 40 + 80 + 80 + 80);
    expect(attemptsAt.map((t) => t - t0)).toEqual([0, 10, 30, 70, 150, 230, 310]);
    expect(retries()).toBe(7);
    const failures = logs.filter((l) => l.event === 'workqueue.failed');
    expect(failures).toHaveLength(7);
    expect(failures[2]).toMatchObject({ level: 40, queue: 'test', key: 'ns/svc', attempt: 3, retryInMs: 40, err: { message: 'apiserver said no' } });
    expect(failures.map((l) => l.retryInMs)).toEqual([10, 20, 40, 80, 80, 80, 80]);
    await queue.stop();
  });

  it('forgets a key’s failures once it succeeds', async () => {
    let failNext = 2;
    const attemptsAt: number[] = [];
    const { queue } = makeQueue(
      async () => {
        attemptsAt.push(Date.now());
        if (failNext-- > 0) throw new Error('transient');
      },
      { baseDelayMs: 100, maxDelayMs: 10_000 },
    );
    queue.start();
    queue.add('k');
    await vi.advanceTimersByTimeAsync(100 + 200);
    expect(attemptsAt).toHaveLength(3);
    await queue.idle();
    // Fails once more: had the two earlier failures been kept, the retry would wait 400 ms.
    failNext = 1;
    const t1 = Date.now();
    queue.add('k');
    await vi.advanceTimersByTimeAsync(100);
    expect(attemptsAt.slice(3).map((t) => t - t1)).toEqual([0, 100]);
    await queue.idle();
  });

  it('keeps failures per key', async () => {
    const attemptsAt = new Map<string, number[]>();
    const { queue } = makeQueue(
      async (key) => {
        attemptsAt.set(key, [...(attemptsAt.get(key) ?? []), Date.now()]);
        if (key === 'bad') throw new Error('always');
      },
      { baseDelayMs: 50 },
    );
    queue.start();
    queue.add('bad');
    await vi.advanceTimersByTimeAsync(50 + 100);
    const t1 = Date.now();
    queue.add('good');
    await flush();
    expect(attemptsAt.get('bad')).toHaveLength(3);
    expect(attemptsAt.get('good')).toEqual([t1]);
    await queue.stop();
  });

  it('addAfter delays a key, and the earlier of two delays wins', async () => {
    const handledAt: number[] = [];
    const { queue } = makeQueue(async () => void handledAt.push(Date.now()));
    queue.start();
    const t0 = Date.now();
    queue.addAfter('k', 500);
    queue.addAfter('k', 200);
    queue.addAfter('k', 900);
    let idle = false;
    void queue.idle().then(() => (idle = true));
    await vi.advanceTimersByTimeAsync(199);
    expect(handledAt).toEqual([]);
    expect(idle).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(handledAt.map((t) => t - t0)).toEqual([200]);
    expect(idle).toBe(true);
  });

  it('stop waits for handlers in flight, then takes no more work and drops pending retries', async () => {
    const gate = deferred();
    const handled: string[] = [];
    const { queue } = makeQueue(
      async (key) => {
        handled.push(key);
        if (key === 'slow') await gate.promise;
        if (key === 'failing') throw new Error('boom');
      },
      { baseDelayMs: 10 },
    );
    queue.start();
    queue.add('failing');
    queue.add('slow');
    await flush();
    let stopped = false;
    const stopping = queue.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(stopped).toBe(false);
    gate.resolve();
    await stopping;
    queue.add('late');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(handled).toEqual(['failing', 'slow']);
    await queue.idle();
  });

  it('does not handle keys before start', async () => {
    const handled: string[] = [];
    const { queue } = makeQueue(async (key) => void handled.push(key));
    queue.add('a');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(handled).toEqual([]);
    queue.start();
    await queue.idle();
    expect(handled).toEqual(['a']);
  });

  it('refuses nonsensical options', () => {
    const handler = async () => {};
    expect(() => makeQueue(handler, { concurrency: 0 })).toThrow(/concurrency/);
    expect(() => makeQueue(handler, { baseDelayMs: 100, maxDelayMs: 10 })).toThrow(/baseDelayMs/);
  });
});

describe('backoffDelayMs', () => {
  it('doubles from the base and stops at the cap', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, 5, 40))).toEqual([5, 10, 20, 40, 40]);
    expect(backoffDelayMs(5000, 5, 300_000)).toBe(300_000);
  });
});
