import type { ChildProcess } from 'node:child_process';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { VirtualServer } from '../../src/kube/virtualServer.js';
import { startCli } from '../support/cli.js';
import { createTestNamespace, testKubeConfig, virtualServerApi } from '../support/kube.js';
import { stopProcess, waitFor } from '../support/processes.js';

describe('tsvs controller (the process) against the real kube-apiserver', () => {
  const logs: Array<Record<string, unknown>> = [];
  let controller: ChildProcess;
  let vs: ReturnType<typeof virtualServerApi>;
  let metricsPort: number;
  const pool = `cli-${Math.random().toString(16).slice(2, 8)}`;

  beforeAll(async () => {
    const kc = testKubeConfig();
    vs = virtualServerApi(kc, await createTestNamespace(kc, 'controller'));
    await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({
      group: 'tsvs.io',
      version: 'v1alpha1',
      plural: 'addresspools',
      body: { apiVersion: 'tsvs.io/v1alpha1', kind: 'AddressPool', metadata: { name: pool }, spec: { addresses: ['100.64.7.0/30'], autoAssign: false } },
    });
    controller = startCli(
      ['controller', '--kubeconfig', inject('kubeconfigPath'), '--metrics-address', '127.0.0.1:0', '--leader-election-namespace', 'default', '--identity', 'cli-test'],
      (entry) => logs.push(entry),
    );
    await waitFor('the controller to become active', async () => logs.some((l) => l.event === 'controller.started'), 60_000);
    metricsPort = logs.find((l) => l.event === 'metrics.listening')!.port as number;
  });

  afterAll(async () => {
    if (controller) await stopProcess(controller);
  });

  it('takes the leader Lease and allocates a VIP to a VirtualServer', async () => {
    await vs.create({
      apiVersion: 'tsvs.io/v1alpha1',
      kind: 'VirtualServer',
      metadata: { name: 'from-pool' },
      spec: { pool, ports: [{ port: 443 }], realServers: { serviceName: 'web' } },
    });
    await waitFor('a VIP in status', async () => ((await vs.get('from-pool')) as VirtualServer).status?.vip !== undefined, 30_000);
    expect(((await vs.get('from-pool')) as VirtualServer).status?.vip).toBe('100.64.7.0');
  });

  it('serves probes and metrics', async () => {
    const get = (path: string) => fetch(`http://127.0.0.1:${metricsPort}${path}`);
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toContain(`tsvs_controller_allocations_total{pool="${pool}",result="allocated"} 1`);
    expect(metrics).toContain(`tsvs_controller_pool_addresses{pool="${pool}",family="IPv4"} 4`);
    expect(metrics).toContain('tsvs_controller_is_leader 1');
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => controller.once('exit', (code) => resolve(code)));
    controller.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(logs.some((l) => l.event === 'controller.stopped')).toBe(true);
  });
});
