import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probe, probeHttp, probeTcp } from '../../../../src/speaker/health/probes.js';

// Real servers on loopback only.
const servers: Array<Server | HttpServer> = [];
const sockets: Socket[] = [];

async function listen<S extends Server | HttpServer>(server: S): Promise<number> {
  servers.push(server);
  server.on('connection', (socket: Socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const httpServer = (status: number, paths: string[] = []) =>
  createHttpServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(status).end('ok');
  });

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

describe('probeTcp', () => {
  it('passes when the handshake completes', async () => {
    const port = await listen(createServer());
    expect(await probeTcp('127.0.0.1', port, 1000)).toEqual({ passed: true, detail: 'connected' });
  });

  it('fails on a refused connection with the reason', async () => {
    expect(await probeTcp('127.0.0.1', await closedPort(), 1000)).toEqual({ passed: false, detail: 'ECONNREFUSED' });
  });
});

describe('probeHttp', () => {
  it('passes on 2xx and 3xx by default and GETs the path', async () => {
    const paths: string[] = [];
    const ok = await listen(httpServer(200, paths));
    const redirect = await listen(httpServer(302));
    expect(await probeHttp('127.0.0.1', ok, '/healthz', undefined, 1000)).toEqual({ passed: true, detail: 'HTTP 200' });
    expect(await probeHttp('127.0.0.1', redirect, '/', undefined, 1000)).toEqual({ passed: true, detail: 'HTTP 302' });
    expect(paths).toEqual(['/healthz']);
  });

  it('fails on 4xx and 5xx by default, and on anything but the expected status when one is set', async () => {
    const error = await listen(httpServer(503));
    const noContent = await listen(httpServer(204));
    expect(await probeHttp('127.0.0.1', error, '/', undefined, 1000)).toEqual({ passed: false, detail: 'HTTP 503' });
    expect(await probeHttp('127.0.0.1', noContent, '/', 204, 1000)).toEqual({ passed: true, detail: 'HTTP 204' });
    expect(await probeHttp('127.0.0.1', noContent, '/', 200, 1000)).toEqual({ passed: false, detail: 'HTTP 204' });
  });

  it('fails when nothing answers within the timeout', async () => {
    // Accepts the connection and never answers.
    const port = await listen(createServer());
    expect(await probeHttp('127.0.0.1', port, '/', undefined, 200)).toEqual({ passed: false, detail: 'no answer within 200 ms' });
  });

  it('fails on a refused connection', async () => {
    expect(await probeHttp('127.0.0.1', await closedPort(), '/', undefined, 1000)).toEqual({ passed: false, detail: 'ECONNREFUSED' });
  });
});

describe('probe', () => {
  it('runs the check type of the target', async () => {
    const http = await listen(httpServer(500));
    const check = { intervalSeconds: 1, timeoutSeconds: 1, healthyThreshold: 1, unhealthyThreshold: 1 };
    expect(await probe({ address: '127.0.0.1', port: http, check: { ...check, type: 'TCP' } })).toMatchObject({ passed: true });
    expect(await probe({ address: '127.0.0.1', port: http, check: { ...check, type: 'HTTP' } })).toMatchObject({ passed: false, detail: 'HTTP 500' });
  });
});
