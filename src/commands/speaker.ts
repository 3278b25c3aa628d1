import { isIP } from 'node:net';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { listenAddress, parseCommandInput, type FlagSpec } from '../commandInput.js';
import { loadKubeConfig } from '../kube/kubeConfig.js';
import { createLogger } from '../log.js';
import { startMetricsServer } from '../metrics/metricsServer.js';
import { createSpeakerMetrics } from '../metrics/speakerMetrics.js';
import { startClusterSources, waitForSync } from '../speaker/clusterSources.js';
import { defaultRouteInterface } from '../speaker/defaultInterface.js';
import { LinuxNodeKernel } from '../speaker/linuxNodeKernel.js';
import { Speaker } from '../speaker/speaker.js';
import { speakerStatusApplier, StatusPublisher } from '../speaker/statusPublisher.js';
import { vipHolderConfigSchema } from '../speaker/vrrp/config.js';

const flags: Record<string, FlagSpec> = {
  'node-name': { type: 'string', description: "this node's name (from the downward API)", env: 'NODE_NAME' },
  kubeconfig: { type: 'string', description: 'kubeconfig file (default: in-cluster or ~/.kube/config)', env: 'KUBECONFIG' },
  interface: { type: 'string', description: 'the interface VRRP speaks on and VIPs are announced from (default: that of the default route)', env: 'TSVS_INTERFACE' },
  'metrics-address': { type: 'string', description: 'HOST:PORT for /metrics, /healthz and /readyz (default 0.0.0.0:7473; port 0 picks one)', env: 'TSVS_METRICS_ADDRESS' },
  'log-level': { type: 'string', description: 'trace, debug, info, warn or error', env: 'TSVS_LOG_LEVEL' },
  'vrrp-peers': { type: 'string', description: 'comma-separated unicast VRRP peers (IPv4 and IPv6); default multicast', env: 'TSVS_VRRP_PEERS' },
  'advert-interval': { type: 'string', description: 'VRRP advertisement interval in ms of groups whose VirtualServers set none (default 1000)', env: 'TSVS_ADVERT_INTERVAL' },
  'sysctl-root': { type: 'string', description: "the node's /proc/sys (default /proc/sys)", env: 'TSVS_SYSCTL_ROOT' },
  'state-dir': { type: 'string', description: 'where sysctl values we replaced are kept across restarts (default /run/tsvs/NODE)', env: 'TSVS_STATE_DIR' },
};

const interfaceName = z.string().regex(/^[^\s/]{1,15}$/, 'must be a network interface name');

const speakerInput = z.object({
  nodeName: z.string({ error: 'is required' }).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a Kubernetes node name'),
  kubeconfig: z.string().min(1).optional(),
  interface: interfaceName.optional(),
  metricsAddress: listenAddress('0.0.0.0:7473'),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
  vrrpPeers: z
    .string()
    .transform((s) => s.split(',').map((p) => p.trim()).filter(Boolean))
    .refine((peers) => peers.every((p) => isIP(p) !== 0), 'must be IP addresses separated by commas')
    .default([]),
  advertInterval: z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int()
    .min(10)
    .max(40_950)
    .refine((n) => n % 10 === 0, 'must be a multiple of 10 ms (VRRPv3 counts centiseconds)')
    .default(1000),
  sysctlRoot: z.string().startsWith('/', 'must be an absolute path').default('/proc/sys'),
  stateDir: z.string().startsWith('/', 'must be an absolute path').optional(),
});

export async function runSpeaker(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const input = parseCommandInput('speaker', speakerInput, flags, argv, env);
  const log = createLogger('speaker', input.logLevel, 1);
  const nic = input.interface ?? (await defaultRouteInterface());
  const kc = loadKubeConfig(input.kubeconfig);
  const registry = new Registry();
  const metrics = createSpeakerMetrics(registry);
  let started = false;
  const server = await startMetricsServer({ ...input.metricsAddress, registry, ready: () => started, log });
  log.info({ event: 'metrics.listening', port: server.port }, 'serving /metrics, /healthz, /readyz');

  let signalled = false;
  const stopped = new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.once(signal, () => {
        signalled = true;
        resolve();
      });
  });
  // Events before the speaker exists are covered by its first pass.
  let onChange = (): void => undefined;
  const sources = await startClusterSources(kc, () => onChange(), log);
  const vip = vipHolderConfigSchema.parse({
    interface: nic,
    peers: input.vrrpPeers,
    sysctlRoot: input.sysctlRoot,
    stateDir: input.stateDir ?? `/run/tsvs/${input.nodeName}`,
    backupHoldsVips: false,
  });
  const speaker = new Speaker(
    { nodeName: input.nodeName, defaultAdvertIntervalMs: input.advertInterval, resyncIntervalMs: 10_000, statsIntervalMs: 15_000 },
    {
      sources,
      createKernel: (hooks) => LinuxNodeKernel.create({ vip, drainTimeoutMs: 5 * 60_000 }, hooks, log),
      status: new StatusPublisher(speakerStatusApplier(kc, input.nodeName), log, () => metrics.statusWriteErrors.inc()),
      metrics,
      log,
    },
  );
  onChange = () => speaker.requestSync();
  log.info({ event: 'speaker.starting', node: input.nodeName, interface: nic, peers: input.vrrpPeers, server: kc.getCurrentCluster()?.server }, 'starting');
  try {
    await waitForSync(sources, log, () => signalled);
    if (!signalled) await speaker.start();
    started = true;
    await stopped;
  } finally {
    await speaker.stop().catch((err: unknown) => log.error({ event: 'speaker.stop-failed', err }, 'clean-up failed'));
    await sources.stop();
    await server.close();
  }
}
