import { request } from 'node:http';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createControllerMetrics, workQueueMetrics } from '../../../src/metrics/controllerMetrics.js';
import { startMetricsServer, type MetricsServer } from '../../../src/metrics/metricsServer.js';

async function get(port: number, path: string, method = 'GET', agent?: false): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, ...(agent === false ? { agent } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('metrics server and controller metrics', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves the controller metrics with their labels in the Prometheus text format', async () => {
    const registry = new Registry();
    const metrics = createControllerMetrics(registry);
    metrics.poolAddresses.set({ pool: 'public', family: 'ipv4' }, 254);
    metrics.poolAddressesUsed.set({ pool: 'public', family: 'ipv4' }, 3);
    metrics.allocations.inc({ pool: 'public', result: 'allocated' });
    metrics.allocations.inc({ pool: 'public', result: 'exhausted' }, 2);
    metrics.releases.inc({ pool: 'public' });
    metrics.reconcileDuration.observe({ controller: 'service' }, 0.02);
    metrics.reconcileErrors.inc({ controller: 'service' });
    const hook = workQueueMetrics(metrics, 'services');
    hook.depth(7);
    hook.retries();
    metrics.isLeader.set(1);
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, registry, ready: () => true });
    expect(server.port).toBeGreaterThan(0);

    const { status, type, body } = await get(server.port, '/metrics');
    expect(status).toBe(200);
    expect(type).toBe(registry.contentType);
    const lines = body.split('\n');
    for (const line of [
      'tsvs_controller_pool_addresses{pool="public",family="ipv4"} 254',
      'tsvs_controller_pool_addresses_used{pool="public",family="ipv4"} 3',
      'tsvs_controller_allocations_total{pool="public",result="allocated"} 1',
      'tsvs_controller_allocations_total{pool="public",result="exhausted"} 2',
      'tsvs_controller_releases_total{pool="public"} 1',
      'tsvs_controller_reconcile_duration_seconds_bucket{le="0.025",controller="service"} 1',
      'tsvs_controller_reconcile_duration_seconds_bucket{le="0.01",controller="service"} 0',
      'tsvs_controller_reconcile_duration_seconds_count{controller="service"} 1',
      'tsvs_controller_reconcile_errors_total{controller="service"} 1',
      'tsvs_controller_queue_depth{queue="services"} 7',
      'tsvs_controller_queue_retries_total{queue="services"} 1',
      'tsvs_controller_is_leader 1',
      '# TYPE tsvs_controller_reconcile_duration_seconds histogram',
    ]) {
      expect(lines).toContain(line);
    }
    expect(lines.some((l) => /^tsvs_process_resident_memory_bytes \d+/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('tsvs_nodejs_eventloop_lag_seconds '))).toBe(true);
  });

  it('answers the probes from the callbacks, and 404 elsewhere', async () => {
    let ready = false;
    let healthy = true;
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, registry: new Registry(), ready: () => ready, healthy: () => healthy });
    expect((await get(server.port, '/readyz')).status).toBe(503);
    expect((await get(server.port, '/healthz')).status).toBe(200);
    ready = true;
    healthy = false;
    expect((await get(server.port, '/readyz')).status).toBe(200);
    expect((await get(server.port, '/healthz?verbose')).status).toBe(503);
    expect((await get(server.port, '/')).status).toBe(404);
    expect((await get(server.port, '/metricsx')).status).toBe(404);
    expect((await get(server.port, '/metrics', 'POST')).status).toBe(405);
  });

  it('is healthy by default and stops listening on close', async () => {
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, registry: new Registry(), ready: () => true });
    expect((await get(server.port, '/healthz')).status).toBe(200);
    const { port } = server;
    await server.close();
    server = undefined;
    await expect(get(port, '/healthz', 'GET', false)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('refuses an invalid port before binding', async () => {
    await expect(startMetricsServer({ host: '127.0.0.1', port: 70_000, registry: new Registry(), ready: () => true })).rejects.toThrow(/port/);
  });
});
