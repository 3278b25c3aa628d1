import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { VirtualServerStatus } from '../../../src/kube/virtualServer.js';
import { StatusPublisher } from '../../../src/speaker/statusPublisher.js';

const log = pino({ level: 'silent' });
const status = (role: 'Master' | 'Backup'): VirtualServerStatus => ({ nodes: [{ name: 'n1', role, programmed: true, realServers: 1, message: '' }] });

describe('StatusPublisher', () => {
  let calls: Array<{ key: string; status: VirtualServerStatus }>;
  let answer: () => Promise<unknown>;
  let failures: number;
  let publisher: StatusPublisher;

  beforeEach(() => {
    vi.useFakeTimers();
    calls = [];
    failures = 0;
    answer = async () => undefined;
    publisher = new StatusPublisher(
      (namespace, name, body) => {
        calls.push({ key: `${namespace}/${name}`, status: body });
        return answer();
      },
      log,
      () => failures++,
    );
  });

  afterEach(() => vi.useRealTimers());

  it('writes a status once, and again only when it changes', async () => {
    publisher.publish(new Map([['app/web', status('Backup')]]));
    await publisher.idle();
    publisher.publish(new Map([['app/web', status('Backup')]]));
    await publisher.idle();
    publisher.publish(new Map([['app/web', status('Master')]]));
    await publisher.idle();
    expect(calls.map((c) => c.status.nodes![0]!.role)).toEqual(['Backup', 'Master']);
  });

  it('retries a failed write with backoff', async () => {
    answer = () => Promise.reject(new Error('503'));
    publisher.publish(new Map([['app/web', status('Backup')]]));
    await vi.advanceTimersByTimeAsync(0);
    expect(failures).toBe(1);
    answer = async () => undefined;
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(2);
    publisher.publish(new Map([['app/web', status('Backup')]]));
    await publisher.idle();
    expect(calls).toHaveLength(2);
  });

  it('gives up on a write the API server never answers, and retries it', async () => {
    answer = () => new Promise(() => undefined);
    publisher.publish(new Map([['app/web', status('Backup')]]));
    await vi.advanceTimersByTimeAsync(29_999);
    expect(failures).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(failures).toBe(1);
    answer = async () => undefined;
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(2);
  });

  it('takes a deleted VirtualServer (404) as done', async () => {
    answer = () => Promise.reject(Object.assign(new Error('gone'), { code: 404 }));
    publisher.publish(new Map([['app/web', status('Backup')]]));
    await publisher.idle();
    expect(failures).toBe(0);
  });

  it('withdraws its fields from every VirtualServer it wrote', async () => {
    publisher.publish(new Map([['app/web', status('Backup')], ['app/api', status('Master')]]));
    await publisher.idle();
    await publisher.withdraw(1000);
    expect(calls.slice(2)).toEqual([
      { key: 'app/web', status: {} },
      { key: 'app/api', status: {} },
    ]);
  });
});
