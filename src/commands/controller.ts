import { CustomObjectsApi, makeInformer, type KubernetesListObject } from '@kubernetes/client-node';
import { z } from 'zod';
import { parseCommandInput, type FlagSpec } from '../commandInput.js';
import { loadKubeConfig } from '../kube/kubeConfig.js';
import { virtualServerResource, type VirtualServer } from '../kube/virtualServer.js';
import { createLogger } from '../log.js';

const flags: Record<string, FlagSpec> = {
  kubeconfig: { type: 'string', description: 'kubeconfig file (default: in-cluster or ~/.kube/config)', env: 'KUBECONFIG' },
  'log-level': { type: 'string', description: 'trace, debug, info, warn or error', env: 'TSVS_LOG_LEVEL' },
};

const controllerInput = z.object({
  kubeconfig: z.string().min(1).optional(),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
});

export async function runController(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const input = parseCommandInput('controller', controllerInput, flags, argv, env);
  const log = createLogger('controller', input.logLevel);
  const kc = loadKubeConfig(input.kubeconfig);
  const { group, version, plural } = virtualServerResource;
  const api = kc.makeApiClient(CustomObjectsApi);
  const list = () => api.listClusterCustomObject({ group, version, plural }) as Promise<KubernetesListObject<VirtualServer>>;
  try {
    await list();
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (code === 404) throw new Error(`the VirtualServer CRD is not installed on ${kc.getCurrentCluster()?.server}: kubectl apply -f deploy/crds/`, { cause: err });
    throw err;
  }
  const informer = makeInformer<VirtualServer>(kc, `/apis/${group}/${version}/${plural}`, list);
  const describe = (vs: VirtualServer) => ({ namespace: vs.metadata.namespace, name: vs.metadata.name, vip: vs.spec.vip });
  informer.on('add', (vs) => log.info({ event: 'virtualserver.add', ...describe(vs) }, 'VirtualServer added'));
  informer.on('update', (vs) => log.info({ event: 'virtualserver.update', ...describe(vs) }, 'VirtualServer updated'));
  informer.on('delete', (vs) => log.info({ event: 'virtualserver.delete', ...describe(vs) }, 'VirtualServer deleted'));
  let stopping = false;
  informer.on('error', (err) => {
    if (stopping) return;
    log.warn({ event: 'watch.error', err }, 'VirtualServer watch failed; restarting');
    setTimeout(() => void informer.start(), 1000);
  });
  await informer.start();
  log.info({ event: 'controller.started', server: kc.getCurrentCluster()?.server }, 'controller watching VirtualServers');
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
  stopping = true;
  await informer.stop();
  log.info({ event: 'controller.stopped' }, 'controller stopped');
}
