import { randomBytes } from 'node:crypto';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../log.js';

export interface EventTarget {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export type EventRecorder = (target: EventTarget, type: 'Normal' | 'Warning', reason: string, message: string) => void;

/** Kubernetes events (core/v1) for the objects tsvs acts on; a failure to record one is logged, never fatal. */
export function createEventRecorder(kc: KubeConfig, component: string, log: Logger): EventRecorder {
  const api = kc.makeApiClient(CoreV1Api);
  return (target, type, reason, message) => {
    const namespace = target.metadata?.namespace ?? 'default';
    const now = new Date();
    api
      .createNamespacedEvent({
        namespace,
        body: {
          metadata: { name: `${target.metadata?.name ?? 'tsvs'}.${randomBytes(8).toString('hex')}`, namespace },
          involvedObject: {
            apiVersion: target.apiVersion,
            kind: target.kind,
            name: target.metadata?.name,
            namespace: target.metadata?.namespace,
            uid: target.metadata?.uid,
            resourceVersion: target.metadata?.resourceVersion,
          },
          type,
          reason,
          message,
          source: { component },
          reportingComponent: component,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      })
      .catch((err: unknown) => log.warn({ event: 'event.failed', reason, err: String(err) }, 'could not record a Kubernetes event'));
  };
}
