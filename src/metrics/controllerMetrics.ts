import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client';

const prefix = 'tsvs_controller_';

export type ControllerMetrics = ReturnType<typeof createControllerMetrics>;

/** The controller's metrics, registered on registry, plus Node process metrics prefixed tsvs_. */
export function createControllerMetrics(registry: Registry) {
  const registers = [registry];
  collectDefaultMetrics({ register: registry, prefix: 'tsvs_' });
  return {
    poolAddresses: new Gauge({ name: `${prefix}pool_addresses`, help: 'Addresses an address pool can hand out', labelNames: ['pool', 'family'] as const, registers }),
    poolAddressesUsed: new Gauge({ name: `${prefix}pool_addresses_used`, help: 'Addresses of an address pool allocated to Services', labelNames: ['pool', 'family'] as const, registers }),
    allocations: new Counter({ name: `${prefix}allocations_total`, help: 'Address allocation attempts by result', labelNames: ['pool', 'result'] as const, registers }),
    releases: new Counter({ name: `${prefix}releases_total`, help: 'Addresses returned to a pool', labelNames: ['pool'] as const, registers }),
    reconcileDuration: new Histogram({
      name: `${prefix}reconcile_duration_seconds`,
      help: 'Time one reconcile of one key took',
      labelNames: ['controller'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    reconcileErrors: new Counter({ name: `${prefix}reconcile_errors_total`, help: 'Reconciles that failed and will be retried', labelNames: ['controller'] as const, registers }),
    queueDepth: new Gauge({ name: `${prefix}queue_depth`, help: 'Keys waiting in a work queue', labelNames: ['queue'] as const, registers }),
    queueRetries: new Counter({ name: `${prefix}queue_retries_total`, help: 'Keys a work queue scheduled for retry after a failure', labelNames: ['queue'] as const, registers }),
    isLeader: new Gauge({ name: `${prefix}is_leader`, help: '1 while this replica holds the leader Lease, else 0', registers }),
  };
}

/** The WorkQueue metrics hook for one named queue. */
export function workQueueMetrics(metrics: ControllerMetrics, queue: string): { depth(n: number): void; retries(): void } {
  return {
    depth: (n) => metrics.queueDepth.set({ queue }, n),
    retries: () => metrics.queueRetries.inc({ queue }),
  };
}
