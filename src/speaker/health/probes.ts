import { request } from 'node:http';
import { connect } from 'node:net';
import type { HealthCheckSpec } from '../desired/virtualServerInput.js';

export interface ProbeResult {
  passed: boolean;
  /** Why it failed, or what passed (for logs). */
  detail: string;
}

export interface ProbeTarget {
  address: string;
  port: number;
  check: HealthCheckSpec;
}

/** A TCP handshake that completes within the timeout. */
export function probeTcp(address: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: timeoutMs });
    const finish = (result: ProbeResult) => {
      socket.destroy();
      resolve(result);
    };
    socket.once('connect', () => finish({ passed: true, detail: 'connected' }));
    socket.once('timeout', () => finish({ passed: false, detail: `no connection within ${timeoutMs} ms` }));
    socket.once('error', (err: NodeJS.ErrnoException) => finish({ passed: false, detail: err.code ?? err.message }));
  });
}

/** An HTTP GET answered within the timeout with the expected status (any 2xx or 3xx when none is given). */
export function probeHttp(address: string, port: number, path: string, expectedStatus: number | undefined, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(result);
    };
    // One deadline for connect, headers and all: a slow trickle must not pass either.
    const timer = setTimeout(() => finish({ passed: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
    const req = request({ host: address, port, path, method: 'GET', agent: false, headers: { 'user-agent': 'tsvs-speaker', connection: 'close' } }, (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      const passed = expectedStatus === undefined ? status >= 200 && status < 400 : status === expectedStatus;
      finish({ passed, detail: `HTTP ${status}` });
    });
    req.once('error', (err: NodeJS.ErrnoException) => finish({ passed: false, detail: err.code ?? err.message }));
    req.end();
  });
}

export function probe(target: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = target.check.timeoutSeconds * 1000;
  return target.check.type === 'TCP'
    ? probeTcp(target.address, target.port, timeoutMs)
    : probeHttp(target.address, target.port, target.check.path ?? '/', target.check.expectedStatus, timeoutMs);
}
