import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { Logger } from '../log.js';

export interface MetricsServerOptions {
  host: string;
  /** 0 picks a free port; the one bound is returned. */
  port: number;
  registry: Registry;
  ready: () => boolean;
  healthy?: () => boolean;
  log?: Logger;
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

const listenAddress = z.object({ host: z.string().min(1), port: z.number().int().min(0).max(65_535) });

/** Serves /metrics (Prometheus text format), /healthz and /readyz for kubelet probes. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { host, port } = listenAddress.parse({ host: options.host, port: options.port });
  const server = createServer((req, res) => {
    handle(options, req, res).catch((err: unknown) => {
      options.log?.error({ event: 'metrics.error', path: req.url, err }, 'metrics request failed');
      if (!res.headersSent) reply(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // A scrape in progress must not hold up shutdown.
        server.closeAllConnections();
      }),
  };
}

async function handle(options: MetricsServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://metrics').pathname;
  const known = path === '/metrics' || path === '/healthz' || path === '/readyz';
  if (!known) return reply(res, 404, 'not found\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
  if (path === '/metrics') {
    const body = await options.registry.metrics();
    return reply(res, 200, body, { 'content-type': options.registry.contentType });
  }
  if (path === '/healthz') {
    const healthy = options.healthy?.() ?? true;
    return reply(res, healthy ? 200 : 503, healthy ? 'ok\n' : 'unhealthy\n');
  }
  const ready = options.ready();
  return reply(res, ready ? 200 : 503, ready ? 'ok\n' : 'not ready\n');
}

function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}
