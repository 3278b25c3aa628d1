/**
 * The kind suite's plan as data: which commands run, in which order, and what
 * each waits for. Pure, so that a unit test checks it on machines without
 * Docker; test/e2e/kind.ts carries it out.
 */
import { BlockList, isIPv4 } from 'node:net';

export const cluster = 'tsvs-e2e';
export const image = 'tsvs:e2e';
export const releaseNamespace = 'tsvs-system';
export const workloadNamespace = 'e2e';
/** The image of the echo server and of the client; agnhost's netexec answers /hostname. */
export const agnhost = 'registry.k8s.io/e2e-test-images/agnhost:2.53';
export const curlImage = 'curlimages/curl:8.11.1';

/** What earlier steps found out, for steps whose commands depend on it. */
export interface Facts {
  /** The kind network's IPv4 subnet (docker network inspect kind). */
  subnet?: string;
  /** Node (container) name of the VRRP master of the Service's VIP. */
  master?: string;
}

export interface Step {
  name: string;
  /** The command; a function when it depends on what earlier steps found out. */
  argv: string[] | ((facts: Facts) => string[]);
  /** Fed to the command's standard input. */
  stdin?: (facts: Facts) => string;
  /** Repeat until the output satisfies this (and the command succeeds), within timeoutMs. */
  until?: { check: (stdout: string, facts: Facts) => boolean; timeoutMs: number };
  /** Record (part of) the output as a fact. */
  learn?: (stdout: string) => Partial<Facts>;
  /** Needs the speaker (issue 6): VRRP, the VIP on a node, IPVS. Skipped with --controller-only. */
  needsSpeaker: boolean;
}

/** The suite's address pool: 51 addresses near the top of the kind network, far from Docker's own allocations. */
export function poolFromSubnet(subnet: string): { first: string; last: string; serviceVip: string; virtualServerVip: string } {
  const [network, prefixText] = subnet.split('/');
  const prefix = Number(prefixText);
  if (!network || !isIPv4(network) || !Number.isInteger(prefix) || prefix < 8 || prefix > 24) {
    throw new Error(`the kind network's subnet ${subnet} is not an IPv4 subnet of /8 to /24`);
  }
  const base = network.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const size = 2 ** (32 - prefix);
  const masked = base - (base % size);
  const text = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
  const first = masked + size - 56;
  const blocks = new BlockList();
  blocks.addSubnet(text(masked), prefix);
  const pool = { first: text(first), last: text(first + 50), serviceVip: text(first), virtualServerVip: text(first + 1) };
  if (!blocks.check(pool.last)) throw new Error(`pool ${pool.first}-${pool.last} is outside ${subnet}`);
  return pool;
}

export function addressPoolsValue(subnet: string): Array<{ name: string; addresses: string[] }> {
  const { first, last } = poolFromSubnet(subnet);
  return [{ name: 'e2e', addresses: [`${first}-${last}`] }];
}

/**
 * The workload: an echo Deployment whose pods hold the VIPs on lo (the
 * realserver-init container, which the admission webhook of issue 7 will
 * inject), a LoadBalancer Service asking for the first VIP, and a
 * VirtualServer written by hand for the second.
 */
export function workloadManifests(subnet: string): object[] {
  const { serviceVip, virtualServerVip } = poolFromSubnet(subnet);
  const labels = { app: 'echo' };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: workloadNamespace } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'echo', namespace: workloadNamespace },
      spec: {
        replicas: 3,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            initContainers: [
              {
                name: 'tsvs-realserver-init',
                image,
                imagePullPolicy: 'Never',
                args: ['realserver-init', '--vips', `${serviceVip},${virtualServerVip}`],
                securityContext: { capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] }, runAsUser: 0 },
              },
            ],
            containers: [{ name: 'echo', image: agnhost, args: ['netexec', '--http-port=8080'], ports: [{ name: 'http', containerPort: 8080 }] }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'echo', namespace: workloadNamespace, annotations: { 'tsvs.io/loadBalancerIPs': serviceVip } },
      spec: {
        type: 'LoadBalancer',
        loadBalancerClass: 'tsvs.io/ipvs',
        externalTrafficPolicy: 'Local',
        selector: labels,
        ports: [{ name: 'http', port: 8080, targetPort: 8080, protocol: 'TCP' }],
      },
    },
    {
      apiVersion: 'tsvs.io/v1alpha1',
      kind: 'VirtualServer',
      metadata: { name: 'echo-by-hand', namespace: workloadNamespace },
      spec: { vip: virtualServerVip, pool: 'e2e', ports: [{ port: 8080 }], realServers: { serviceName: 'echo' } },
    },
  ];
}

const kubectl = (...args: string[]) => ['kubectl', '--context', `kind-${cluster}`, ...args];
const jsonPath = (kind: string, name: string, path: string) => kubectl('-n', workloadNamespace, 'get', kind, name, '-o', `jsonpath={${path}}`);
const curlVip = (vip: string) => ['docker', 'run', '--rm', '--network', 'kind', curlImage, '-sS', '--max-time', '3', `http://${vip}:8080/hostname`];
const need = <K extends keyof Facts>(facts: Facts, key: K): NonNullable<Facts[K]> => {
  const value = facts[key];
  if (value === undefined) throw new Error(`no ${key} yet: an earlier step should have found it`);
  return value as NonNullable<Facts[K]>;
};

/** Every step, in order. repoRoot is where the Dockerfile, the chart and test/e2e are. */
export function e2eSteps(repoRoot: string): Step[] {
  const minute = 60_000;
  return [
    { name: 'create the kind cluster', argv: ['kind', 'create', 'cluster', '--name', cluster, '--config', `${repoRoot}/test/e2e/kind-config.yaml`, '--wait', '180s'], needsSpeaker: false },
    { name: 'build the image', argv: ['docker', 'build', '--tag', image, repoRoot], needsSpeaker: false },
    { name: 'load the image into the nodes', argv: ['kind', 'load', 'docker-image', image, '--name', cluster], needsSpeaker: false },
    {
      name: "find the kind network's IPv4 subnet",
      argv: ['docker', 'network', 'inspect', 'kind', '--format', '{{range .IPAM.Config}}{{.Subnet}},{{end}}'],
      learn: (stdout) => {
        const subnet = stdout.split(/[\s,]+/).find((s) => isIPv4(s.split('/')[0] ?? ''));
        if (!subnet) throw new Error(`the kind network has no IPv4 subnet: ${stdout}`);
        return { subnet };
      },
      needsSpeaker: false,
    },
    {
      name: 'helm install the chart',
      argv: (facts) => [
        'helm', '--kube-context', `kind-${cluster}`, 'install', 'tsvs', `${repoRoot}/charts/tsvs`,
        '--namespace', releaseNamespace, '--create-namespace',
        '--values', `${repoRoot}/test/e2e/values.yaml`,
        '--set-json', `addressPools=${JSON.stringify(addressPoolsValue(need(facts, 'subnet')))}`,
      ],
      needsSpeaker: false,
    },
    { name: 'the controller rolls out', argv: kubectl('-n', releaseNamespace, 'rollout', 'status', 'deployment/tsvs-controller', '--timeout', '180s'), needsSpeaker: false },
    { name: 'the speakers roll out', argv: kubectl('-n', releaseNamespace, 'rollout', 'status', 'daemonset/tsvs-speaker', '--timeout', '180s'), needsSpeaker: true },
    { name: 'apply the workload', argv: kubectl('apply', '--server-side', '-f', '-'), stdin: (facts) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items: workloadManifests(need(facts, 'subnet')) }), needsSpeaker: false },
    {
      name: 'the Service gets its VIP',
      argv: jsonPath('service', 'echo', '.status.loadBalancer.ingress[0].ip'),
      until: { check: (out) => isIPv4(out.trim()), timeoutMs: 2 * minute },
      needsSpeaker: false,
    },
    {
      name: 'the hand-written VirtualServer gets its VIP',
      argv: jsonPath('virtualserver', 'echo-by-hand', '.status.vip'),
      until: { check: (out) => isIPv4(out.trim()), timeoutMs: 2 * minute },
      needsSpeaker: false,
    },
    { name: 'the echo pods are ready', argv: kubectl('-n', workloadNamespace, 'rollout', 'status', 'deployment/echo', '--timeout', '180s'), needsSpeaker: true },
    {
      name: "the Service's VIP has a VRRP master",
      argv: jsonPath('virtualserver', 'echo', '.status.masterNode'),
      until: { check: (out) => out.trim().startsWith(`${cluster}-`), timeoutMs: 2 * minute },
      learn: (stdout) => ({ master: stdout.trim() }),
      needsSpeaker: true,
    },
    {
      name: 'curl the Service VIP from a container on the kind network',
      argv: (facts) => curlVip(poolFromSubnet(need(facts, 'subnet')).serviceVip),
      until: { check: (out) => out.trim().startsWith('echo-'), timeoutMs: minute },
      needsSpeaker: true,
    },
    {
      name: 'curl the VirtualServer VIP',
      argv: (facts) => curlVip(poolFromSubnet(need(facts, 'subnet')).virtualServerVip),
      until: { check: (out) => out.trim().startsWith('echo-'), timeoutMs: minute },
      needsSpeaker: true,
    },
    { name: "kill the master speaker's node container", argv: (facts) => ['docker', 'kill', need(facts, 'master')], needsSpeaker: true },
    {
      name: 'another node becomes master',
      argv: jsonPath('virtualserver', 'echo', '.status.masterNode'),
      until: { check: (out, facts) => out.trim().startsWith(`${cluster}-`) && out.trim() !== facts.master, timeoutMs: 2 * minute },
      learn: (stdout) => ({ master: stdout.trim() }),
      needsSpeaker: true,
    },
    {
      name: 'the VIP answers again after failover',
      argv: (facts) => curlVip(poolFromSubnet(need(facts, 'subnet')).serviceVip),
      until: { check: (out) => out.trim().startsWith('echo-'), timeoutMs: minute },
      needsSpeaker: true,
    },
  ];
}

/** Removes the cluster (run whatever happened, unless asked to keep it). */
export const teardown: Step = { name: 'delete the kind cluster', argv: ['kind', 'delete', 'cluster', '--name', cluster], needsSpeaker: false };
