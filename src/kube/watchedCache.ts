import { makeInformer, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../log.js';

export interface WatchedCache<T extends KubernetesObject> {
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): readonly T[];
  stop(): Promise<void>;
}

export interface WatchHandlers<T> {
  onChange(object: T, change: 'add' | 'update' | 'delete'): void;
}

/**
 * list+watch into a local cache (client-node's informer: it resumes from the
 * last resourceVersion and re-lists on 410 Gone); a failed watch is restarted
 * with backoff and logged. Resolves once the first list is in the cache.
 */
export async function startWatchedCache<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  list: () => Promise<KubernetesListObject<T>>,
  handlers: WatchHandlers<T>,
  log: Logger,
): Promise<WatchedCache<T>> {
  const informer = makeInformer<T>(kc, path, list);
  let stopping = false;
  let failures = 0;
  informer.on('add', (o) => handlers.onChange(o, 'add'));
  informer.on('update', (o) => handlers.onChange(o, 'update'));
  informer.on('delete', (o) => handlers.onChange(o, 'delete'));
  informer.on('connect', () => {
    failures = 0;
  });
  informer.on('error', (err) => {
    if (stopping) return;
    const delayMs = Math.min(30_000, 500 * 2 ** failures++);
    log.warn({ event: 'watch.error', path, delayMs, err: String(err) }, 'watch failed; restarting');
    setTimeout(() => {
      if (!stopping) informer.start().catch(() => undefined);
    }, delayMs);
  });
  await informer.start();
  return {
    get: (name, namespace) => informer.get(name, namespace),
    list: (namespace) => informer.list(namespace),
    stop: async () => {
      stopping = true;
      await informer.stop();
    },
  };
}
