/**
 * Host side of the end-to-end lab (guest/e2e.sh): a real etcd + kube-apiserver on the host
 * loopback (the guest reaches it at 10.0.2.2 through qemu's user network), the tsvs CRDs, the
 * Nodes, Pods, Services and EndpointSlices of the lab topology (there is no kubelet and no
 * kube-controller-manager: this module plays their part), an AddressPool, and the tsvs
 * controller running for real on the host, so VIPs are allocated as in a cluster. The guest
 * asks it for actions through lab_ask (labAsk.ts); see askHandlers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1EndpointSlice,
} from '@kubernetes/client-node';
import { build } from 'esbuild';
import type { VirtualServer } from '../../src/kube/virtualServer.js';
import { buildKubeBinaries, startControlPlane, type ControlPlane } from '../apiserver/controlPlane.js';
import { installCrds } from '../apiserver/crds.js';
import { stopProcess, StopWaiting, waitFor } from '../support/processes.js';
import { agreement, type NodeView } from './e2eAgreement.js';
import type { AskHandler } from './labAsk.js';
import { repoRoot } from './lab.js';
import { labBundleDir, labBundleOptions } from './vrrpLab.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const namespace = 'default';
const loadBalancerClass = 'tsvs.io/ipvs';

export interface LabPod {
  name: string;
  node: string;
  ip: string;
  service: string;
  /** On the node segment (the flat layer-2 variant) rather than behind its node on a routed /32. */
  flat: boolean;
  /** In its Service's EndpointSlice from the start. */
  endpoint: boolean;
}

/** The lab cluster: what guest/e2e.sh builds out of namespaces, and what this module tells the API. */
export const e2eTopology = {
  segment: '10.9.0.0/24',
  /** The guest's root namespace on the segment bridge: the nodes' way out to the API server. */
  gateway: '10.9.0.254',
  client: '10.9.0.10',
  nodes: [
    { name: 'node1', ip: '10.9.0.1' },
    { name: 'node2', ip: '10.9.0.2' },
    { name: 'node3', ip: '10.9.0.3' },
  ],
  pods: [
    { name: 'pod-a', node: 'node1', ip: '10.244.1.2', service: 'web', flat: false, endpoint: true },
    { name: 'pod-b', node: 'node2', ip: '10.244.2.2', service: 'web', flat: false, endpoint: true },
    { name: 'pod-c', node: 'node3', ip: '10.244.3.2', service: 'web', flat: false, endpoint: true },
    { name: 'pod-d', node: 'node3', ip: '10.244.3.3', service: 'web', flat: false, endpoint: true },
    // Scaled in by scenario 4.
    { name: 'pod-e', node: 'node2', ip: '10.244.2.3', service: 'web', flat: false, endpoint: false },
    { name: 'flat-1', node: 'node1', ip: '10.9.0.21', service: 'flat', flat: true, endpoint: true },
    { name: 'flat-2', node: 'node2', ip: '10.9.0.22', service: 'flat', flat: true, endpoint: true },
  ] satisfies LabPod[] as LabPod[],
  services: ['web', 'flat'],
  port: 80,
  pool: { name: 'lab', addresses: ['10.9.0.100-10.9.0.119'] },
};

/** The guest's view of the host's loopback through qemu's user network. */
export const hostFromGuest = '10.0.2.2';

export interface E2eCluster {
  controlPlane: ControlPlane;
  kc: KubeConfig;
  /** The VIP the controller allocated to each Service. */
  vips: Record<string, string>;
  /** A kubeconfig for the guest: the API server at 10.0.2.2, verified as "kubernetes" (a name in its serving certificate). */
  guestKubeconfig: string;
  /** The actions the guest may ask for (lab_ask NAME JSON). */
  askHandlers(shareDir: string): Record<string, AskHandler>;
  stop(): Promise<void>;
}

const chunkPrefix = 'e2e-chunk-';

/**
 * Bundles the tsvs CLI and the lab workload for the guest: under TCG, node loads a few files
 * in seconds where the transpiled tree takes ~20 s per process. Split at the CLI's lazy
 * command imports, so that realserver-init (seven pods at once) does not parse the speaker's
 * Kubernetes client. Chunks sit beside the entry points, three levels below the repository
 * like src/speaker/net/, so the rawsock addon's relative path holds.
 */
export async function bundleE2ePrograms(): Promise<{ cli: string; app: string }> {
  if (existsSync(labBundleDir)) for (const file of readdirSync(labBundleDir)) if (file.startsWith(chunkPrefix)) rmSync(join(labBundleDir, file));
  await build({
    ...labBundleOptions,
    entryPoints: { tsvs: join(repoRoot, 'src/cli.ts'), e2eApp: join(repoRoot, 'test/lab/e2eApp.ts') },
    chunkNames: `${chunkPrefix}[name]-[hash]`,
    splitting: true,
  });
  return { cli: join(labBundleDir, 'tsvs.mjs'), app: join(labBundleDir, 'e2eApp.mjs') };
}

export async function startE2eCluster(workDir: string, log: (line: string) => void = () => {}): Promise<E2eCluster> {
  mkdirSync(workDir, { recursive: true });
  const binDir = await buildKubeBinaries();
  const controlPlane = await startControlPlane(binDir, join(workDir, 'control-plane'));
  let controller: ChildProcess | undefined;
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(controlPlane.kubeconfigPath);
    await installCrds(kc, join(repoRoot, 'deploy/crds'));
    const objects = new LabObjects(kc);
    await objects.createAll();
    log(`e2e: control plane ${controlPlane.server}, objects created`);

    const controllerLog = join(workDir, 'controller.log');
    controller = spawn(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'src/cli.ts'), 'controller', '--kubeconfig', controlPlane.kubeconfigPath, '--leader-elect', 'false', '--metrics-address', '127.0.0.1:0'],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const out = createWriteStream(controllerLog);
    controller.stdout!.pipe(out);
    controller.stderr!.pipe(out);
    const vips: Record<string, string> = {};
    await waitFor(
      'the controller to allocate a VIP to every Service',
      async () => {
        if (controller!.exitCode !== null) throw new StopWaiting(`the controller exited (${controller!.exitCode}):\n${readFileSync(controllerLog, 'utf8').slice(-3000)}`);
        for (const service of e2eTopology.services) vips[service] ??= (await objects.serviceVip(service)) ?? '';
        for (const service of e2eTopology.services) if (vips[service] === '') delete vips[service];
        return Object.keys(vips).length === e2eTopology.services.length;
      },
      120_000,
      250,
    );
    log(`e2e: VIPs ${JSON.stringify(vips)}`);

    const port = new URL(controlPlane.server).port;
    const guestKubeconfig = readFileSync(controlPlane.kubeconfigPath, 'utf8').replace(
      /server: https:\/\/127\.0\.0\.1:\d+/,
      `server: https://${hostFromGuest}:${port}\n    tls-server-name: kubernetes`,
    );
    let paused: { at: number; resumed: Promise<number> } | undefined;
    const apiserverPid = controlPlane.apiserverPid;
    const stoppedController = controller;

    return {
      controlPlane,
      kc,
      vips,
      guestKubeconfig,
      askHandlers: (shareDir) => ({
        /** The cluster is up: the guest's kubeconfig (in LAB_SHARE) and the VIPs. */
        cluster: async () => {
          writeFileSync(join(shareDir, 'kubeconfig'), guestKubeconfig);
          return { vips, kubeconfig: 'kubeconfig' };
        },
        /** Sets a Service's ready endpoints to exactly these pods: {service, pods}. */
        endpoints: async (arg) => {
          const { service, pods } = arg as { service: string; pods: string[] };
          return objects.setEndpoints(service, pods);
        },
        /** What the node lifecycle controller does about a node that dies or returns: {name, ready}. */
        node: async (arg) => {
          const { name, ready } = arg as { name: string; ready: boolean };
          return objects.setNodeReady(name, ready);
        },
        /** Merge-patches the health check of a Service's VirtualServer: {service, healthCheck (null: none)}. */
        'health-check': async (arg) => {
          const { service, healthCheck } = arg as { service: string; healthCheck: object | null };
          await objects.patchVirtualServerSpec(service, { healthCheck });
          return null;
        },
        /** A Service's VirtualServer as the API has it. */
        virtualserver: async (arg) => objects.virtualServer((arg as { service: string }).service),
        /**
         * Whether the IPVS tables and VIPs the guest found on each live node agree with the
         * VirtualServer's status and with the Service's ready endpoints:
         * {service, nodes: {NAME: {ipvs, vipOnNic}}, unhealthy: [pod...]}.
         */
        agree: async (arg) => {
          const { service, nodes, unhealthy = [] } = arg as { service: string; nodes: Record<string, NodeView>; unhealthy?: string[] };
          const vs = await objects.virtualServer(service);
          const expected = objects.readyPods(service).filter((p) => !unhealthy.includes(p.name));
          const problems = agreement(vs, nodes, expected.map((p) => ({ ip: p.ip, node: p.node })), e2eTopology.port);
          return { agree: problems.length === 0, problems, status: vs.status ?? null };
        },
        /** SIGSTOPs kube-apiserver for {seconds}, then SIGCONTs it; answers at once. */
        'api-pause': async (arg) => {
          const seconds = (arg as { seconds: number }).seconds;
          if (paused) throw new Error('the API server is already paused');
          process.kill(apiserverPid, 'SIGSTOP');
          const at = Date.now();
          const resumed = new Promise<number>((resolve) =>
            setTimeout(() => {
              process.kill(apiserverPid, 'SIGCONT');
              resolve(Date.now());
            }, seconds * 1000),
          );
          paused = { at, resumed };
          log(`e2e: kube-apiserver stopped for ${seconds} s`);
          return { seconds };
        },
        /** Waits for the paused API server to be back and ready; answers how long it was stopped. */
        'api-resumed': async () => {
          if (!paused) throw new Error('the API server was not paused');
          const resumedAt = await paused.resumed;
          const stoppedMs = resumedAt - paused.at;
          paused = undefined;
          await waitFor('kube-apiserver ready after SIGCONT', () => objects.ready(), 60_000, 250);
          log(`e2e: kube-apiserver back after ${stoppedMs} ms`);
          return { stoppedMs };
        },
      }),
      stop: async () => {
        if (paused) process.kill(apiserverPid, 'SIGCONT');
        await stopProcess(stoppedController);
        await controlPlane.stop();
      },
    };
  } catch (err) {
    if (controller) await stopProcess(controller);
    await controlPlane.stop();
    throw err;
  }
}

/** The lab's Kubernetes objects, and the edits a kubelet, the endpoint-slice controller and the node lifecycle controller would make. */
class LabObjects {
  private readonly core: CoreV1Api;
  private readonly discovery: DiscoveryV1Api;
  private readonly custom: CustomObjectsApi;
  /** Per Service, its pods in the EndpointSlice and whether each is ready. */
  private readonly endpoints = new Map<string, Map<string, boolean>>();
  private readonly notReadyNodes = new Set<string>();

  constructor(kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.discovery = kc.makeApiClient(DiscoveryV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    for (const service of e2eTopology.services) {
      this.endpoints.set(service, new Map(e2eTopology.pods.filter((p) => p.service === service && p.endpoint).map((p) => [p.name, true])));
    }
  }

  async createAll(): Promise<void> {
    await this.custom.createClusterCustomObject({
      group: 'tsvs.io',
      version: 'v1alpha1',
      plural: 'addresspools',
      body: { apiVersion: 'tsvs.io/v1alpha1', kind: 'AddressPool', metadata: { name: e2eTopology.pool.name }, spec: { addresses: e2eTopology.pool.addresses } },
    });
    for (const node of e2eTopology.nodes) {
      await this.core.createNode({ body: { metadata: { name: node.name, labels: { 'kubernetes.io/hostname': node.name, 'kubernetes.io/os': 'linux' } } } });
      await this.patchNodeStatus(node.name, true);
    }
    for (const pod of e2eTopology.pods) {
      await this.core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name: pod.name, labels: { app: pod.service } },
          spec: { nodeName: pod.node, containers: [{ name: 'http', image: 'lab/http', ports: [{ containerPort: e2eTopology.port, name: 'http' }] }] },
        },
      });
      const now = new Date().toISOString();
      await this.core.patchNamespacedPodStatus(
        {
          name: pod.name,
          namespace,
          body: {
            status: {
              phase: 'Running',
              hostIP: e2eTopology.nodes.find((n) => n.name === pod.node)!.ip,
              podIP: pod.ip,
              podIPs: [{ ip: pod.ip }],
              conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({ type, status: 'True', lastTransitionTime: now })),
            },
          },
        },
        mergePatch,
      );
    }
    for (const service of e2eTopology.services) {
      await this.core.createNamespacedService({
        namespace,
        body: {
          metadata: { name: service },
          spec: {
            type: 'LoadBalancer',
            loadBalancerClass,
            selector: { app: service },
            ports: [{ name: 'http', protocol: 'TCP', port: e2eTopology.port, targetPort: e2eTopology.port }],
          },
        },
      });
      await this.discovery.createNamespacedEndpointSlice({ namespace, body: this.endpointSlice(service) });
    }
  }

  async ready(): Promise<boolean> {
    await this.core.readNamespace({ name: namespace });
    return true;
  }

  async serviceVip(service: string): Promise<string | undefined> {
    const svc = await this.core.readNamespacedServiceStatus({ name: service, namespace });
    return svc.status?.loadBalancer?.ingress?.[0]?.ip;
  }

  async virtualServer(service: string): Promise<VirtualServer> {
    return (await this.custom.getNamespacedCustomObject({ group: 'tsvs.io', version: 'v1alpha1', plural: 'virtualservers', namespace, name: service })) as VirtualServer;
  }

  async patchVirtualServerSpec(service: string, spec: object): Promise<void> {
    await this.custom.patchNamespacedCustomObject({ group: 'tsvs.io', version: 'v1alpha1', plural: 'virtualservers', namespace, name: service, body: { spec } }, mergePatch);
  }

  /** The pods of a Service whose endpoints are ready now. */
  readyPods(service: string): LabPod[] {
    const ready = this.endpoints.get(service) ?? new Map<string, boolean>();
    return e2eTopology.pods.filter((p) => ready.get(p.name) === true && !this.notReadyNodes.has(p.node));
  }

  async setEndpoints(service: string, pods: string[]): Promise<string[]> {
    const known = e2eTopology.pods.filter((p) => p.service === service).map((p) => p.name);
    const unknown = pods.filter((p) => !known.includes(p));
    if (unknown.length > 0) throw new Error(`${unknown.join(', ')}: not pods of ${service} (${known.join(', ')})`);
    this.endpoints.set(service, new Map(pods.map((p) => [p, true])));
    await this.writeEndpointSlice(service);
    return this.readyPods(service).map((p) => p.name);
  }

  async setNodeReady(name: string, ready: boolean): Promise<Record<string, string[]>> {
    if (!e2eTopology.nodes.some((n) => n.name === name)) throw new Error(`no node ${name}`);
    if (ready) this.notReadyNodes.delete(name);
    else this.notReadyNodes.add(name);
    await this.patchNodeStatus(name, ready);
    for (const service of e2eTopology.services) await this.writeEndpointSlice(service);
    return Object.fromEntries(e2eTopology.services.map((s) => [s, this.readyPods(s).map((p) => p.name)]));
  }

  private async patchNodeStatus(name: string, ready: boolean): Promise<void> {
    const node = e2eTopology.nodes.find((n) => n.name === name)!;
    const now = new Date().toISOString();
    await this.core.patchNodeStatus(
      {
        name,
        body: {
          status: {
            addresses: [
              { type: 'InternalIP', address: node.ip },
              { type: 'Hostname', address: node.name },
            ],
            conditions: [
              {
                type: 'Ready',
                status: ready ? 'True' : 'Unknown',
                reason: ready ? 'KubeletReady' : 'NodeStatusUnknown',
                message: ready ? 'lab node' : 'lab node stopped',
                lastHeartbeatTime: now,
                lastTransitionTime: now,
              },
            ],
          },
        },
      },
      mergePatch,
    );
  }

  private endpointSlice(service: string): V1EndpointSlice {
    const inSlice = this.endpoints.get(service)!;
    return {
      metadata: {
        name: `${service}-lab`,
        namespace,
        labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'lab.tsvs.io' },
      },
      addressType: 'IPv4',
      ports: [{ name: 'http', protocol: 'TCP', port: e2eTopology.port }],
      endpoints: e2eTopology.pods
        .filter((p) => inSlice.has(p.name))
        .map((p) => {
          const ready = inSlice.get(p.name) === true && !this.notReadyNodes.has(p.node);
          return {
            addresses: [p.ip],
            conditions: { ready, serving: ready, terminating: false },
            nodeName: p.node,
            targetRef: { kind: 'Pod', namespace, name: p.name },
          };
        }),
    };
  }

  private async writeEndpointSlice(service: string): Promise<void> {
    const name = `${service}-lab`;
    const current = await this.discovery.readNamespacedEndpointSlice({ name, namespace });
    const body = this.endpointSlice(service);
    body.metadata!.resourceVersion = current.metadata!.resourceVersion!;
    await this.discovery.replaceNamespacedEndpointSlice({ name, namespace, body });
  }
}
