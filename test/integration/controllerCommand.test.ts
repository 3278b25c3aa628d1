import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { startCli } from '../support/cli.js';
import { createTestNamespace, testKubeConfig, virtualServerApi } from '../support/kube.js';
import { stopProcess, waitFor } from '../support/processes.js';

describe('tsvs controller against the real kube-apiserver', () => {
  const logs: Array<Record<string, unknown>> = [];
  let controller: ChildProcess;
  let vs: ReturnType<typeof virtualServerApi>;
  let namespace: string;

  beforeAll(async () => {
    const kc = testKubeConfig();
    namespace = await createTestNamespace(kc, 'controller');
    vs = virtualServerApi(kc, namespace);
    controller = startCli(['controller', '--kubeconfig', inject('kubeconfigPath')], (entry) => logs.push(entry));
    await waitFor('the controller to start watching', async () => logs.some((l) => l.event === 'controller.started'), 60_000);
  });

  afterAll(async () => {
    if (controller) await stopProcess(controller);
  });

  it('sees a VirtualServer created after it started, and its deletion', async () => {
    await vs.create({
      apiVersion: 'tsvs.io/v1alpha1',
      kind: 'VirtualServer',
      metadata: { name: 'watched' },
      spec: { vip: '198.51.100.7', ports: [{ port: 443 }], realServers: { serviceName: 'web' } },
    });
    const seen = (event: string) => logs.find((l) => l.event === event && l.name === 'watched' && l.namespace === namespace);
    await waitFor('the add event', async () => seen('virtualserver.add') !== undefined, 30_000);
    expect(seen('virtualserver.add')).toMatchObject({ vip: '198.51.100.7', level: 30, component: 'controller' });
    await vs.delete('watched');
    await waitFor('the delete event', async () => seen('virtualserver.delete') !== undefined, 30_000);
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => controller.once('exit', (code) => resolve(code)));
    controller.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(logs.some((l) => l.event === 'controller.stopped')).toBe(true);
  });
});
