import { makeInformer, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../log.js';

export interface WatchedCache<T extends KubernetesObject> {
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): readonly T[];
  /** The first list has succeeded: an empty cache means there is nothing, not that the API server was unreachable. */
  synced(): boolean;
  stop(): Promise<void>;
}

export interface WatchHandlers<T> {
  onChange(object: T, change: 'add' | 'update' | 'delete'): void;
}

/**
 * managedFields (one entry per field manager, each a copy of the fields it owns) can be most
 * of an object's size and nothing here reads them: dropped before caching, as
 * controller-runtime's default cache transform does.
 */
function withoutManagedFields<T extends KubernetesObject>(object: T): T {
  if (object.metadata) delete object.metadata.managedFields;
  return object;
}

/**
 * list+watch into a local cache (client-node's informer: it resumes from the
 * last resourceVersion and re-lists on 410 Gone); a failed watch is restarted
 * with backoff and logged. Resolves after the first list, which may have failed (see synced()).
 * Cached objects have no managedFields.
 */
export async function startWatchedCache<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  list: () => Promise<KubernetesListObject<T>>,
  handlers: WatchHandlers<T>,
  log: Logger,
): Promise<WatchedCache<T>> {
  let listed = false;
  const informer = makeInformer<T>(kc, path, async () => {
    const result = await list();
    for (const object of result.items) withoutManagedFields(object);
    listed = true;
    return result;
  });
  let stopping = false;
  let failures = 0;
  // The informer caches the very object it hands to these callbacks.
  informer.on('add', (o) => handlers.onChange(withoutManagedFields(o), 'add'));
  informer.on('update', (o) => handlers.onChange(withoutManagedFields(o), 'update'));
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
    synced: () => listed,
    stop: async () => {
      stopping = true;
      await informer.stop();
    },
  };
}
