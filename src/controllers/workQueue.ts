import type { Logger } from '../log.js';

export interface WorkQueueOptions {
  name: string;
  /** Handlers running at once (distinct keys). */
  concurrency?: number;
  /** Retry delay after the first failure; doubles with each further failure of the same key. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export interface WorkQueueMetrics {
  depth(n: number): void;
  retries?(): void;
}

/** The retry delay after a key's nth consecutive failure (1-based): base * 2^(n-1), capped. */
export function backoffDelayMs(failures: number, baseDelayMs: number, maxDelayMs: number): number {
  return Math.min(baseDelayMs * 2 ** Math.max(0, failures - 1), maxDelayMs);
}

/**
 * A rate-limited work queue in the manner of client-go's workqueue: keys are deduplicated while queued,
 * one key is never handled by two workers at once (a key added during its handling is queued again
 * afterwards), and a failing key is retried with per-key exponential backoff.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  /** Keys added while they were being handled: queued again when the handler returns. */
  private readonly dirtyWhileProcessing = new Set<string>();
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private idleWaiters: Array<() => void> = [];
  private running = false;
  private stopped = false;
  private readonly concurrency: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly handler: (key: string) => Promise<void>,
    private readonly options: WorkQueueOptions,
    private readonly log: Logger,
    private readonly metrics?: WorkQueueMetrics,
  ) {
    this.concurrency = options.concurrency ?? 4;
    this.baseDelayMs = options.baseDelayMs ?? 5;
    this.maxDelayMs = options.maxDelayMs ?? 300_000;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new RangeError(`work queue ${options.name}: concurrency must be a positive integer, got ${this.concurrency}`);
    if (!(this.baseDelayMs >= 0) || !(this.maxDelayMs >= this.baseDelayMs)) {
      throw new RangeError(`work queue ${options.name}: need 0 <= baseDelayMs <= maxDelayMs, got ${this.baseDelayMs} and ${this.maxDelayMs}`);
    }
  }

  /** Keys waiting to be handled (not counting delayed keys or keys being handled). */
  get depth(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirtyWhileProcessing.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.reportDepth();
    this.dispatch();
  }

  /** Adds key after delayMs; an earlier pending delay for the same key wins over a later one. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending) {
      if (pending.at <= at) return;
      clearTimeout(pending.timer);
    }
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
      this.settleIfIdle();
    }, delayMs);
    this.delayed.set(key, { at, timer });
  }

  start(): void {
    if (this.stopped) throw new Error(`work queue ${this.options.name} was stopped; make a new one`);
    this.running = true;
    this.dispatch();
  }

  /** Stops taking work, drops delayed retries and waits for the handlers in flight. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    await Promise.all([...this.inFlight]);
    this.queue.length = 0;
    this.queued.clear();
    this.dirtyWhileProcessing.clear();
    this.reportDepth();
    this.settleIfIdle();
  }

  /** Resolves when nothing is queued, delayed or being handled (a stopped queue is idle once its handlers return). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.processing.size === 0 && this.delayed.size === 0 && (this.queue.length === 0 || this.stopped);
  }

  private settleIfIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private dispatch(): void {
    while (this.running && this.processing.size < this.concurrency && this.queue.length > 0) {
      const key = this.queue.shift() as string;
      this.queued.delete(key);
      this.processing.add(key);
      const run = this.process(key);
      this.inFlight.add(run);
      void run.finally(() => this.inFlight.delete(run));
    }
    this.reportDepth();
  }

  private async process(key: string): Promise<void> {
    try {
      await this.handler(key);
      this.failures.delete(key);
    } catch (err) {
      this.retry(key, err);
    }
    this.processing.delete(key);
    if (this.dirtyWhileProcessing.delete(key)) this.add(key);
    this.dispatch();
    this.settleIfIdle();
  }

  private retry(key: string, err: unknown): void {
    const attempt = (this.failures.get(key) ?? 0) + 1;
    if (this.stopped) {
      this.log.warn({ event: 'workqueue.failed', queue: this.options.name, key, attempt, err }, 'handler failed; queue stopping, not retrying');
      return;
    }
    this.failures.set(key, attempt);
    const retryInMs = backoffDelayMs(attempt, this.baseDelayMs, this.maxDelayMs);
    this.log.warn({ event: 'workqueue.failed', queue: this.options.name, key, attempt, retryInMs, err }, 'handler failed; retrying with backoff');
    this.metrics?.retries?.();
    this.addAfter(key, retryInMs);
  }

  private reportDepth(): void {
    this.metrics?.depth(this.queue.length);
  }
}
