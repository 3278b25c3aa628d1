import { hostname } from 'node:os';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { listenAddress, parseCommandInput, type FlagSpec } from '../commandInput.js';
import { createEventRecorder } from '../controllers/eventRecorder.js';
import { createKubeWriter } from '../controllers/kubeWriter.js';
import { startLeaderElection, type LeaderElector } from '../controllers/leaderElection.js';
import { LoadBalancerController } from '../controllers/loadBalancerController.js';
import { loadKubeConfig } from '../kube/kubeConfig.js';
import { virtualServerResource } from '../kube/virtualServer.js';
import { createLogger } from '../log.js';
import { createControllerMetrics } from '../metrics/controllerMetrics.js';
import { startMetricsServer } from '../metrics/metricsServer.js';
import { webhookInput, webhookFlags, webhookOptions } from '../webhook/webhookFlags.js';
import { startRealServerWebhook } from '../webhook/realServerWebhook.js';

const flags: Record<string, FlagSpec> = {
  kubeconfig: { type: 'string', description: 'kubeconfig file (default: in-cluster or ~/.kube/config)', env: 'KUBECONFIG' },
  'load-balancer-class': { type: 'string', description: 'the spec.loadBalancerClass tsvs serves (default tsvs.io/ipvs)', env: 'TSVS_LOAD_BALANCER_CLASS' },
  'default-class': { type: 'string', description: 'true: also serve LoadBalancer Services that name no class (default false)', env: 'TSVS_DEFAULT_CLASS' },
  'metrics-address': { type: 'string', description: 'HOST:PORT for /metrics, /healthz and /readyz (default 0.0.0.0:9090; port 0 picks one)', env: 'TSVS_METRICS_ADDRESS' },
  'leader-elect': { type: 'string', description: 'true: hold a Lease so that one replica of several is active (default true)', env: 'TSVS_LEADER_ELECT' },
  'leader-election-namespace': { type: 'string', description: 'namespace of the leader Lease (default tsvs-system)', env: 'POD_NAMESPACE' },
  identity: { type: 'string', description: 'this replica in the Lease (default the host name)', env: 'POD_NAME' },
  'log-level': { type: 'string', description: 'trace, debug, info, warn or error', env: 'TSVS_LOG_LEVEL' },
  ...webhookFlags,
};

const booleanText = z.enum(['true', 'false']).transform((v) => v === 'true');

const controllerInput = z.object({
  kubeconfig: z.string().min(1).optional(),
  loadBalancerClass: z.string().regex(/^[a-z0-9.-]+\/[A-Za-z0-9._-]+$/, 'must be a domain-prefixed name such as tsvs.io/ipvs').default('tsvs.io/ipvs'),
  defaultClass: booleanText.default(false),
  metricsAddress: listenAddress('0.0.0.0:9090'),
  leaderElect: booleanText.default(true),
  leaderElectionNamespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name').default('tsvs-system'),
  identity: z.string().min(1).default(hostname()),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
  ...webhookInput,
});

export async function runController(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const input = parseCommandInput('controller', controllerInput, flags, argv, env);
  const log = createLogger('controller', input.logLevel);
  const kc = loadKubeConfig(input.kubeconfig);
  await requireCrds(kc);
  const registry = new Registry();
  const metrics = createControllerMetrics(registry);
  const controller = new LoadBalancerController(
    kc,
    { classConfig: { loadBalancerClass: input.loadBalancerClass, defaultClass: input.defaultClass } },
    createKubeWriter(kc),
    createEventRecorder(kc, 'tsvs-controller', log),
    metrics,
    log,
  );
  let synced = false;
  let elector: LeaderElector | undefined = undefined;
  // A standby replica is ready (it serves probes and waits for the Lease); the leader once its caches synced.
  const server = await startMetricsServer({ ...input.metricsAddress, registry, ready: () => synced || elector?.isLeader() === false, log });
  log.info({ event: 'metrics.listening', port: server.port }, 'serving /metrics, /healthz, /readyz');

  let failure: Error | undefined;
  let stopping = false;
  const fail = (err: Error) => {
    if (stopping) return;
    failure ??= err;
    process.kill(process.pid, 'SIGTERM');
  };
  const lead = () => {
    metrics.isLeader.set(1);
    return controller.start().then(
      () => {
        synced = true;
        log.info({ event: 'controller.started', server: kc.getCurrentCluster()?.server, identity: input.identity }, 'controller active');
      },
      (err: Error) => fail(new Error(`the controller could not start: ${err.message}`, { cause: err })),
    );
  };
  const stopped = new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
  elector = input.leaderElect
    ? startLeaderElection(
        kc,
        { namespace: input.leaderElectionNamespace, name: 'tsvs-controller', identity: input.identity },
        {
          onStartedLeading: () => void lead(),
          onStoppedLeading: () => {
            metrics.isLeader.set(0);
            fail(new Error('lost the leader Lease; exiting so that a fresh replica takes over'));
          },
        },
        log,
      )
    : undefined;
  if (!elector) void lead();
  const webhook = input.webhookAddress
    ? await startRealServerWebhook(kc, { ...webhookOptions(input), isLeader: () => elector?.isLeader() ?? true }, createEventRecorder(kc, 'tsvs-controller', log), log)
    : undefined;
  await stopped;
  stopping = true;
  await webhook?.stop();
  await controller.stop();
  await elector?.stop();
  await server.close();
  if (failure) throw failure;
  log.info({ event: 'controller.stopped' }, 'controller stopped');
}

async function requireCrds(kc: ReturnType<typeof loadKubeConfig>): Promise<void> {
  const { group, version, plural } = virtualServerResource;
  try {
    await kc.makeApiClient(CustomObjectsApi).listClusterCustomObject({ group, version, plural, limit: 1 });
  } catch (err) {
    if ((err as { code?: number }).code === 404) {
      throw new Error(`the tsvs CRDs are not installed on ${kc.getCurrentCluster()?.server}: kubectl apply -f deploy/crds/`, { cause: err });
    }
    throw err;
  }
}
