import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { KubeConfig, KubernetesObject, V1ClusterRole, V1DaemonSet, V1Deployment, V1NetworkPolicy, V1Role, V1Service } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { addressPoolsValue, workloadManifests } from '../e2e/plan.js';
import { buildHelm, chartDir, helm, renderChart, repoRoot, valueArgs, type ChartValues } from '../helm-bin/helm.js';
import { serverSideApply } from '../helm-bin/serverSideApply.js';
import { createTestNamespace, testKubeConfig } from '../support/kube.js';

const valueSets: Record<string, ChartValues> = {
  defaults: {},
  'speaker nodeSelector and tolerations': {
    setJson: {
      'speaker.nodeSelector': { 'tsvs.io/director': 'true' },
      'speaker.tolerations': [{ key: 'dedicated', operator: 'Equal', value: 'lb', effect: 'NoSchedule' }],
      'speaker.interface': 'bond0',
    },
  },
  'ServiceMonitor and NetworkPolicy': {
    setJson: {
      serviceMonitor: { enabled: true, labels: { release: 'prometheus' } },
      networkPolicy: { enabled: true, metricsFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }] },
    },
  },
  'an address pool': {
    setJson: {
      addressPools: [{ name: 'chart-test', addresses: ['198.18.40.0/29', '2001:db8:40::/124'], autoAssign: false, excludedAddresses: ['198.18.40.1'], namespaceSelector: { matchLabels: { team: 'a' } } }],
    },
  },
  'webhook disabled': { setJson: { 'webhook.enabled': false } },
  'the kind suite': { valuesFiles: [join(repoRoot, 'test/e2e/values.yaml')], setJson: { addressPools: addressPoolsValue('172.18.0.0/16') } },
};

type Rendered = Record<string, KubernetesObject[]>;
const find = <T extends KubernetesObject>(objects: KubernetesObject[], kind: string): T[] => objects.filter((o) => o.kind === kind) as T[];
const one = <T extends KubernetesObject>(objects: KubernetesObject[], kind: string, nameSuffix = ''): T => {
  const found = find<T>(objects, kind).filter((o) => o.metadata!.name!.endsWith(nameSuffix));
  expect(found, `${kind} *${nameSuffix}`).toHaveLength(1);
  return found[0]!;
};

describe('the Helm chart', () => {
  let helmBin: string;
  let kc: KubeConfig;
  let namespace: string;
  const rendered: Rendered = {};

  beforeAll(async () => {
    // First run on a machine builds helm from its Go module (minutes); later runs find it cached.
    helmBin = await buildHelm();
    kc = testKubeConfig();
    namespace = await createTestNamespace(kc, 'chart');
    for (const [name, values] of Object.entries(valueSets)) rendered[name] = await renderChart(helmBin, namespace, values);
  }, 40 * 60_000);

  it('passes helm lint --strict with every value set', async () => {
    for (const [name, values] of Object.entries(valueSets)) {
      const result = await helm(helmBin, ['lint', '--strict', chartDir, ...valueArgs(values)]);
      expect(result.status, `${name}: ${result.stdout}${result.stderr}`).toBe(0);
      expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    }
  });

  it('renders by default: two-replica controller, speaker DaemonSet, one ServiceAccount and role set per component, PDB; nothing optional', () => {
    const objects = rendered.defaults!;
    expect(objects.map((o) => `${o.kind}/${o.metadata!.name}`).sort()).toEqual(
      [
        'ClusterRole/tsvs-controller',
        'ClusterRole/tsvs-speaker',
        'ClusterRoleBinding/tsvs-controller',
        'ClusterRoleBinding/tsvs-speaker',
        'DaemonSet/tsvs-speaker',
        'Deployment/tsvs-controller',
        'PodDisruptionBudget/tsvs-controller',
        'Role/tsvs-controller',
        'RoleBinding/tsvs-controller',
        'Service/tsvs-controller-metrics',
        'Service/tsvs-webhook',
        'ServiceAccount/tsvs-controller',
        'ServiceAccount/tsvs-speaker',
      ].sort(),
    );
    for (const o of objects) if (!o.kind!.startsWith('Cluster')) expect(o.metadata!.namespace, `${o.kind}/${o.metadata!.name}`).toBe(namespace);
  });

  it('runs the controller with leader election, probes, metrics, downward-API identity, non-root and read-only', () => {
    const deployment = one<V1Deployment>(rendered.defaults!, 'Deployment');
    expect(deployment.spec!.replicas).toBe(2);
    const pod = deployment.spec!.template.spec!;
    const container = pod.containers[0]!;
    expect(pod.serviceAccountName).toBe('tsvs-controller');
    expect(container.args).toEqual(['controller']);
    const env = Object.fromEntries(container.env!.map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]));
    expect(env).toMatchObject({
      TSVS_LEADER_ELECT: 'true',
      TSVS_LOAD_BALANCER_CLASS: 'tsvs.io/ipvs',
      TSVS_DEFAULT_CLASS: 'false',
      TSVS_METRICS_ADDRESS: '0.0.0.0:9090',
      POD_NAME: 'metadata.name',
      POD_NAMESPACE: 'metadata.namespace',
      TSVS_WEBHOOK_ADDRESS: '0.0.0.0:9443',
      TSVS_WEBHOOK_SERVICE: `${namespace}/tsvs-webhook:443`,
      TSVS_WEBHOOK_CERT_SECRET: `${namespace}/tsvs-webhook-cert`,
      TSVS_WEBHOOK_CONFIGURATION: 'tsvs-realserver-pods',
      TSVS_IMAGE: container.image,
    });
    expect(container.ports).toEqual([
      { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
      { name: 'webhook', containerPort: 9443, protocol: 'TCP' },
    ]);
    expect(container.livenessProbe!.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container.readinessProbe!.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    const pdb = one<KubernetesObject & { spec: { selector: { matchLabels: Record<string, string> } } }>(rendered.defaults!, 'PodDisruptionBudget');
    expect(deployment.spec!.template.metadata!.labels).toMatchObject(pdb.spec.selector.matchLabels);
  });

  it('runs the speaker on the host network with NET_ADMIN and NET_RAW only, not privileged, its node name from the downward API', () => {
    const pod = one<V1DaemonSet>(rendered.defaults!, 'DaemonSet').spec!.template.spec!;
    const container = pod.containers[0]!;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(pod.serviceAccountName).toBe('tsvs-speaker');
    expect(container.args).toEqual(['speaker']);
    expect(container.securityContext).toMatchObject({ privileged: false, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW'] } });
    expect(container.env!.find((e) => e.name === 'NODE_NAME')!.valueFrom!.fieldRef!.fieldPath).toBe('spec.nodeName');
    expect(container.env!.some((e) => e.name === 'TSVS_INTERFACE')).toBe(false);
    expect(pod.tolerations).toEqual([{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(pod.nodeSelector).toBeUndefined();
    // The writable host /proc/sys/net, and the speaker told where it is.
    expect(pod.volumes).toEqual([
      { name: 'proc-sys-net', hostPath: { path: '/proc/sys/net', type: 'Directory' } },
      { name: 'state', hostPath: { path: '/run/tsvs', type: 'DirectoryOrCreate' } },
    ]);
    expect(container.volumeMounts).toEqual([
      { name: 'proc-sys-net', mountPath: '/host/proc/sys/net' },
      // What a killed speaker leaves for the next one to undo (a read-only root file system otherwise).
      { name: 'state', mountPath: '/run/tsvs' },
    ]);
    expect(container.env!.find((e) => e.name === 'TSVS_SYSCTL_ROOT')!.value).toBe('/host/proc/sys');
    // Metrics and probes on the port the speaker is told to listen on.
    expect(container.env!.find((e) => e.name === 'TSVS_METRICS_ADDRESS')!.value).toBe('0.0.0.0:7473');
    expect(container.ports).toEqual([{ name: 'metrics', containerPort: 7473, protocol: 'TCP' }]);
    expect(container.livenessProbe!.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container.readinessProbe!.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
  });

  it('lets the speaker read what it programs from, and write only status', () => {
    const rules = one<V1ClusterRole>(rendered.defaults!, 'ClusterRole', '-speaker').rules!;
    expect(rules).toEqual([
      { apiGroups: ['tsvs.io'], resources: ['virtualservers'], verbs: ['list', 'watch'] },
      { apiGroups: ['tsvs.io'], resources: ['virtualservers/status'], verbs: ['patch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['list', 'watch'] },
    ]);
  });

  it('fronts the webhook port with the Service its flags name; without the webhook, neither flags, port, Service nor its rules', () => {
    const service = one<V1Service>(rendered.defaults!, 'Service', '-webhook');
    const deployment = one<V1Deployment>(rendered.defaults!, 'Deployment');
    expect(deployment.spec!.template.metadata!.labels).toMatchObject(service.spec!.selector!);
    expect(service.spec!.ports).toEqual([{ name: 'webhook', port: 443, targetPort: 'webhook', protocol: 'TCP' }]);
    const env = deployment.spec!.template.spec!.containers[0]!.env!;
    expect(env.find((e) => e.name === 'TSVS_WEBHOOK_SERVICE')!.value).toBe(`${service.metadata!.namespace}/${service.metadata!.name}:${service.spec!.ports![0]!.port}`);

    const objects = rendered['webhook disabled']!;
    const container = one<V1Deployment>(objects, 'Deployment').spec!.template.spec!.containers[0]!;
    expect(container.env!.filter((e) => e.name.startsWith('TSVS_WEBHOOK') || e.name === 'TSVS_IMAGE')).toEqual([]);
    expect(container.ports!.map((p) => p.name)).toEqual(['metrics']);
    expect(find(objects, 'Service').map((o) => o.metadata!.name)).toEqual(['tsvs-controller-metrics']);
    // The controller's roles: the speaker reads pods for VirtualServers with a selector, webhook or not.
    const controllerRoles = [...find<V1ClusterRole>(objects, 'ClusterRole'), ...find<V1Role>(objects, 'Role')].filter((r) => !r.metadata!.name!.endsWith('-speaker'));
    const resources = controllerRoles.flatMap((r) => r.rules!.flatMap((rule) => rule.resources ?? []));
    for (const resource of ['pods', 'secrets', 'mutatingwebhookconfigurations']) expect(resources).not.toContain(resource);
  });

  it('grants the webhook exactly its objects: its MutatingWebhookConfiguration by name, pods to watch and annotate', () => {
    const rules = one<V1ClusterRole>(rendered.defaults!, 'ClusterRole', '-controller').rules!;
    expect(rules.filter((r) => r.resources!.includes('mutatingwebhookconfigurations'))).toEqual([
      // create cannot be restricted by resourceNames (the object has no name to check yet).
      { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], verbs: ['create'] },
      { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], resourceNames: ['tsvs-realserver-pods'], verbs: ['get', 'update'] },
    ]);
    expect(rules.filter((r) => r.resources!.includes('pods'))).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch', 'patch'] }]);
  });

  it('grants no wildcard, no RBAC-escalating verb, Secrets only in the release namespace (only its certificate Secret by name, never list or watch), and the Lease only there', () => {
    for (const [set, objects] of Object.entries(rendered)) {
      for (const role of [...find<V1ClusterRole>(objects, 'ClusterRole'), ...find<V1Role>(objects, 'Role')]) {
        for (const rule of role.rules!) {
          const words = [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs];
          expect(words, `${set}: ${role.metadata!.name}`).not.toContain('*');
          if (rule.resources!.includes('secrets')) {
            expect(role.kind, `${set}: ${role.metadata!.name}`).toBe('Role');
            expect(role.metadata!.namespace).toBe(namespace);
            expect(rule.resources).toEqual(['secrets']);
            expect(rule.verbs).not.toContain('list');
            expect(rule.verbs).not.toContain('watch');
            // create cannot be restricted by resourceNames; everything else names the one Secret.
            if (!(rule.verbs.length === 1 && rule.verbs[0] === 'create')) expect(rule.resourceNames).toEqual(['tsvs-webhook-cert']);
          }
          for (const verb of ['escalate', 'bind', 'impersonate', 'deletecollection']) expect(rule.verbs).not.toContain(verb);
        }
      }
      expect(find<V1ClusterRole>(objects, 'ClusterRole').flatMap((r) => r.rules!.flatMap((rule) => rule.resources ?? []))).not.toContain('leases');
      const secrets = set === 'webhook disabled' ? [] : ['secrets', 'secrets'];
      expect(one<V1Role>(objects, 'Role').rules!.flatMap((r) => r.resources)).toEqual(['leases', 'leases', ...secrets]);
    }
  });

  it('puts the speaker where the values say', () => {
    const pod = one<V1DaemonSet>(rendered['speaker nodeSelector and tolerations']!, 'DaemonSet').spec!.template.spec!;
    expect(pod.nodeSelector).toEqual({ 'tsvs.io/director': 'true' });
    expect(pod.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'lb', effect: 'NoSchedule' }]);
    expect(pod.containers[0]!.env).toContainEqual({ name: 'TSVS_INTERFACE', value: 'bond0' });
  });

  it("runs the kind suite's image as loaded into the nodes, and its speakers on the workers only", () => {
    const objects = rendered['the kind suite']!;
    for (const kind of ['Deployment', 'DaemonSet']) {
      const container = one<V1Deployment>(objects, kind).spec!.template.spec!.containers[0]!;
      expect(container).toMatchObject({ image: 'tsvs:e2e', imagePullPolicy: 'Never' });
    }
    const pod = one<V1DaemonSet>(objects, 'DaemonSet').spec!.template.spec!;
    expect(pod.tolerations).toBeUndefined();
    expect(pod.containers[0]!.env).toContainEqual({ name: 'TSVS_INTERFACE', value: 'eth0' });
  });

  it('scrapes the metrics Service with the ServiceMonitor and fences the controller with the NetworkPolicy', () => {
    const objects = rendered['ServiceMonitor and NetworkPolicy']!;
    const service = one<V1Service>(objects, 'Service', '-metrics');
    const monitor = one<KubernetesObject & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string }> } }>(objects, 'ServiceMonitor');
    expect(monitor.metadata!.labels).toMatchObject({ release: 'prometheus' });
    expect(service.metadata!.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(monitor.spec.endpoints.map((e) => e.port)).toEqual(service.spec!.ports!.map((p) => p.name));
    const policy = one<V1NetworkPolicy>(objects, 'NetworkPolicy');
    const podLabels = one<V1Deployment>(objects, 'Deployment').spec!.template.metadata!.labels!;
    expect(podLabels).toMatchObject(policy.spec!.podSelector!.matchLabels!);
    expect(policy.spec!.policyTypes).toEqual(['Ingress', 'Egress']);
    // The API server's source address depends on the cluster: the webhook port is open to any
    // source unless networkPolicy.webhookFrom says otherwise.
    expect(policy.spec!.ingress).toEqual([
      { ports: [{ port: 'metrics', protocol: 'TCP' }], from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }] },
      { ports: [{ port: 'webhook', protocol: 'TCP' }] },
    ]);
    const container = one<V1Deployment>(objects, 'Deployment').spec!.template.spec!.containers[0]!;
    expect(container.ports!.map((p) => p.name)).toEqual(['metrics', 'webhook']);
    expect(policy.spec!.egress!.flatMap((e) => e.ports!.map((p) => `${p.port}/${p.protocol}`))).toEqual(['443/TCP', '6443/TCP', '53/UDP', '53/TCP']);
  });

  it('creates the AddressPools of the values', () => {
    const pool = one<KubernetesObject & { spec: unknown }>(rendered['an address pool']!, 'AddressPool');
    expect(pool.metadata!.name).toBe('chart-test');
    expect(pool.spec).toEqual({ addresses: ['198.18.40.0/29', '2001:db8:40::/124'], autoAssign: false, excludedAddresses: ['198.18.40.1'], namespaceSelector: { matchLabels: { team: 'a' } } });
    expect(one<KubernetesObject & { spec: unknown }>(rendered['the kind suite']!, 'AddressPool').spec).toEqual({ addresses: ['172.18.255.200-172.18.255.250'] });
  });

  it('refuses values the schema does not allow, saying where', async () => {
    const refusals: Array<[Record<string, unknown>, string]> = [
      [{ 'controller.replicas': 0 }, "at '/controller/replicas': minimum: got 0, want 1"],
      [{ controler: { replicas: 2 } }, "additional properties 'controler' not allowed"],
      [{ addressPools: [{ name: 'empty', addresses: [] }] }, "at '/addressPools/0/addresses': minItems: got 0, want 1"],
      [{ loadBalancerClass: 'ipvs' }, "at '/loadBalancerClass'"],
      [{ 'speaker.interface': 'eth0 eth1' }, "at '/speaker/interface'"],
      [{ 'webhook.port': 0 }, "at '/webhook/port': minimum: got 0, want 1"],
      [{ 'webhook.enabled': 'yes' }, "at '/webhook/enabled'"],
    ];
    for (const [setJson, message] of refusals) {
      const result = await helm(helmBin, ['template', 'tsvs', chartDir, ...valueArgs({ setJson })]);
      expect(result.status, JSON.stringify(setJson)).not.toBe(0);
      expect(result.stderr).toContain("values don't meet the specifications of the schema");
      expect(result.stderr).toContain(message);
    }
    const standbyless = await helm(helmBin, ['template', 'tsvs', chartDir, '--set', 'controller.leaderElect=false']);
    expect(standbyless.stderr).toContain('controller.leaderElect must be true when controller.replicas is more than 1');
  });

  it('renders manifests the real API server accepts (server-side dry-run apply, strict field validation); ServiceMonitor skipped, its CRD is not installed there', async () => {
    const skipped: string[] = [];
    for (const [set, objects] of Object.entries(rendered)) {
      for (const object of objects) {
        if (object.kind === 'ServiceMonitor') {
          skipped.push(`${set}: ${object.kind}`);
          continue;
        }
        const result = await serverSideApply(kc, object, { dryRun: true, fieldManager: 'tsvs-chart-test' });
        expect(result.message ?? '', `${set}: ${object.kind}/${object.metadata!.name}`).toBe('');
        expect([200, 201]).toContain(result.status);
      }
    }
    expect(skipped).toEqual(['ServiceMonitor and NetworkPolicy: ServiceMonitor']);
  });

  it('is checked strictly: an unknown field is refused by the dry run', async () => {
    const deployment = structuredClone(one<V1Deployment>(rendered.defaults!, 'Deployment'));
    (deployment.spec as unknown as Record<string, unknown>).replicaz = 3;
    const result = await serverSideApply(kc, deployment, { dryRun: true, fieldManager: 'tsvs-chart-test' });
    expect(result.status).toBeGreaterThanOrEqual(400);
    expect(result.message).toContain('.spec.replicaz: field not declared in schema');
  });

  it("accepts the kind suite's workload manifests", async () => {
    for (const object of workloadManifests('172.18.0.0/16') as KubernetesObject[]) {
      const placed = object.kind === 'Namespace' ? object : { ...object, metadata: { ...object.metadata, namespace } };
      const result = await serverSideApply(kc, placed, { dryRun: true, fieldManager: 'tsvs-chart-test' });
      expect(result.message ?? '', `${object.kind}/${object.metadata!.name}`).toBe('');
    }
  });

  it('keeps one source of truth for the CRDs and deploy/tsvs.yaml up to date (deploy/render.sh --check)', async () => {
    const files = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
    expect(files(join(chartDir, 'crds'))).toEqual(files(join(repoRoot, 'deploy/crds')));
    for (const f of files(join(repoRoot, 'deploy/crds'))) {
      expect(readFileSync(join(chartDir, 'crds', f), 'utf8'), f).toBe(readFileSync(join(repoRoot, 'deploy/crds', f), 'utf8'));
    }
    const check = await promisify(execFile)(join(repoRoot, 'deploy/render.sh'), ['--check'], { env: { ...process.env, HELM: helmBin } }).then(
      () => '',
      (err: { stderr?: string }) => err.stderr ?? String(err),
    );
    expect(check).toBe('');
  });
});
