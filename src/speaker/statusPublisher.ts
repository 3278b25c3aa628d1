import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { WorkQueue } from '../controllers/workQueue.js';
import { applyVirtualServerStatus, isNotFound } from '../controllers/kubeWriter.js';
import type { VirtualServerStatus } from '../kube/virtualServer.js';
import type { Logger } from '../log.js';

const writeTimeoutMs = 30_000;

export type ApplyStatus = (namespace: string, name: string, status: VirtualServerStatus) => Promise<unknown>;

/** Server-side apply with this speaker's own field manager, so speakers never overwrite each other's entries. */
export function speakerStatusApplier(kc: KubeConfig, nodeName: string): ApplyStatus {
  const custom = kc.makeApiClient(CustomObjectsApi);
  return (namespace, name, status) => applyVirtualServerStatus(custom, namespace, name, speakerFieldManager(nodeName), status);
}

export function speakerFieldManager(nodeName: string): string {
  return `tsvs-speaker-${nodeName}`;
}

/**
 * Writes this speaker's status fields of each VirtualServer when they change, one write per
 * object at a time, retried with backoff while the API server is unreachable (the node keeps
 * running on what it has).
 */
export class StatusPublisher {
  private readonly desired = new Map<string, string>();
  private readonly written = new Map<string, string>();
  private readonly queue: WorkQueue;

  constructor(
    private readonly apply: ApplyStatus,
    private readonly log: Logger,
    private readonly failed: () => void = () => undefined,
  ) {
    this.queue = new WorkQueue((key) => this.write(key), { name: 'status', concurrency: 2, baseDelayMs: 500, maxDelayMs: 30_000 }, log, { depth: () => undefined, retries: () => this.failed() });
    this.queue.start();
  }

  /** The statuses of every VirtualServer this speaker reports on; one left out is no longer written. */
  publish(statuses: ReadonlyMap<string, VirtualServerStatus>): void {
    for (const key of this.desired.keys()) {
      if (statuses.has(key)) continue;
      this.desired.delete(key);
      this.written.delete(key);
    }
    for (const [key, status] of statuses) {
      const json = JSON.stringify(status);
      if (this.desired.get(key) === json) continue;
      this.desired.set(key, json);
      if (this.written.get(key) !== json) this.queue.add(key);
    }
  }

  /** Resolves once every change published so far has been written or has failed once. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Stops writing, then takes this speaker's fields out of every VirtualServer it wrote (best effort, within timeoutMs). */
  async withdraw(timeoutMs: number): Promise<void> {
    await this.queue.stop();
    const removals = [...this.written.keys()].map((key) => {
      const [namespace = '', name = ''] = key.split('/');
      return this.apply(namespace, name, {}).catch((err: unknown) => {
        if (!isNotFound(err)) this.log.warn({ event: 'status.withdraw-failed', virtualServer: key, err: String(err) }, 'cannot remove our status entry');
      });
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(removals), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  private async write(key: string): Promise<void> {
    const json = this.desired.get(key);
    if (json === undefined || this.written.get(key) === json) return;
    const [namespace = '', name = ''] = key.split('/');
    let timer: NodeJS.Timeout | undefined;
    // A connection the API server never answers must not hold the queue: the write is retried.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`status write of ${key} got no answer within ${writeTimeoutMs} ms`)), writeTimeoutMs);
    });
    try {
      await Promise.race([this.apply(namespace, name, JSON.parse(json) as VirtualServerStatus), timeout]);
    } catch (err) {
      // Deleted meanwhile: nothing to report on.
      if (isNotFound(err)) return;
      throw err;
    } finally {
      clearTimeout(timer);
    }
    this.written.set(key, json);
  }
}
