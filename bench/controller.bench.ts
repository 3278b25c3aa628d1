/**
 * Creates N LoadBalancer Services (default 5000; TSVS_BENCH_SERVICES) on a real
 * kube-apiserver with the controller running as its own process and user, and
 * prints: time from the last create to every Service having its VIP in
 * status, p50/p99 create-to-status latency, the controller's RSS at the end
 * (and its peak), and the controller's API requests per Service, read from
 * the API server's audit log; and the CPU time the controller and the API server used, which
 * other load on the machine does not change as it changes the times. TSVS_BENCH_CPU_PROFILE=DIR
 * profiles the controller.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig, makeInformer, type V1Service } from '@kubernetes/client-node';
import { buildKubeBinaries, startControlPlane } from '../test/apiserver/controlPlane.js';
import { installCrds } from '../test/apiserver/crds.js';
import { startLogged, stopProcess, waitFor } from '../test/support/processes.js';

/** CPU time a process has used so far, from /proc/PID/stat (utime + stime, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const count = Number(process.env.TSVS_BENCH_SERVICES ?? 5000);
const concurrency = 32;
/** TSVS_BENCH_CPU_PROFILE=DIR: the controller writes a V8 CPU profile there when it stops. */
const profileDir = process.env.TSVS_BENCH_CPU_PROFILE;
const namespace = 'bench';

export default async function run(): Promise<void> {
  // Emit only: the benchmark measures the controller as it ships (compiled JavaScript), not tsx.
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--noCheck'], { stdio: 'inherit' });
  const workDir = mkdtempSync(join(tmpdir(), 'tsvs-bench-controller-'));
  const cp = await startControlPlane(await buildKubeBinaries(), workDir, { extraUsers: ['tsvs-controller'], audit: true });
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    await installCrds(kc, resolve('deploy/crds'));
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({
      group: 'tsvs.io',
      version: 'v1alpha1',
      plural: 'addresspools',
      body: { apiVersion: 'tsvs.io/v1alpha1', kind: 'AddressPool', metadata: { name: 'bench' }, spec: { addresses: ['100.64.0.0/16'] } },
    });

    const controllerLog: Array<Record<string, unknown>> = [];
    const controller = startLogged(
      process.execPath,
      [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), 'dist/cli.js', 'controller', '--kubeconfig', cp.userKubeconfigs['tsvs-controller']!, '--metrics-address', '127.0.0.1:0', '--leader-election-namespace', 'default', '--log-level', 'info'],
      join(workDir, 'controller.log'),
    );
    let pending = '';
    controller.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop()!;
      for (const line of lines) if (line.includes('"event":"controller.started"')) controllerLog.push(JSON.parse(line) as Record<string, unknown>);
    });
    await waitFor('the controller to start', async () => controllerLog.some((l) => l.event === 'controller.started'), 60_000);

    const created = new Map<string, number>();
    const allocated = new Map<string, number>();
    const informer = makeInformer<V1Service>(kc, `/api/v1/namespaces/${namespace}/services`, () => core.listNamespacedService({ namespace }));
    const seen = (svc: V1Service) => {
      const name = svc.metadata!.name!;
      if (!allocated.has(name) && (svc.status?.loadBalancer?.ingress?.length ?? 0) > 0) allocated.set(name, performance.now());
    };
    informer.on('add', seen);
    informer.on('update', seen);
    await informer.start();

    const firstCreate = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const name = `svc-${next++}`;
          await core.createNamespacedService({
            namespace,
            // No NodePorts: direct routing does not use them, and 5000 would overflow the NodePort range.
            body: { metadata: { name }, spec: { type: 'LoadBalancer', loadBalancerClass: 'tsvs.io/ipvs', allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }], selector: { app: name } } },
          });
          created.set(name, performance.now());
        }
      }),
    );
    const lastCreate = performance.now();
    await waitFor(`all ${count} Services allocated`, async () => allocated.size === count, 15 * 60_000, 250);
    const done = Math.max(...allocated.values());
    await informer.stop();

    const status = readFileSync(`/proc/${controller.pid}/status`, 'utf8');
    const controllerCpuS = cpuSeconds(controller.pid!);
    const apiserverCpuS = cpuSeconds(cp.apiserverPid);
    const [load1] = loadavg();
    const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
    await stopProcess(controller);
    await new Promise((r) => setTimeout(r, 1500)); // the audit backend flushes its batch about once a second

    const latencies = [...created].map(([name, t]) => allocated.get(name)! - t).sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
    const requests = readFileSync(cp.auditLogPath!, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { user: { username: string }; verb: string; objectRef?: { resource?: string; subresource?: string }; stage: string })
      .filter((e) => e.user.username === 'tsvs-controller' && e.stage === 'ResponseComplete');
    const writes = requests.filter((r) => ['create', 'update', 'patch', 'delete'].includes(r.verb));
    const byKind = new Map<string, number>();
    for (const w of writes) {
      const k = `${w.verb} ${w.objectRef?.resource ?? '?'}${w.objectRef?.subresource ? `/${w.objectRef.subresource}` : ''}`;
      byKind.set(k, (byKind.get(k) ?? 0) + 1);
    }
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    process.stdout.write(
      [
        `services created:                    ${count} in ${s(lastCreate - firstCreate)} (${concurrency} at a time)`,
        `all allocated, after the last create: ${s(done - lastCreate)}   (goal: within 60 s)`,
        `create-to-status latency:            p50 ${s(pct(50))}, p99 ${s(pct(99))}, max ${s(latencies.at(-1)!)}`,
        `controller RSS at the end:           ${(kib('VmRSS') / 1024).toFixed(1)} MiB (peak ${(kib('VmHWM') / 1024).toFixed(1)} MiB)   (goal: under 200 MiB)`,
        `CPU time (user+system):              controller ${controllerCpuS.toFixed(1)} s (${((controllerCpuS * 1000) / count).toFixed(1)} ms per Service), kube-apiserver ${apiserverCpuS.toFixed(1)} s; load average at the end ${load1!.toFixed(1)} on ${cpus().length} CPUs`,
        `controller API requests:             ${requests.length} (${(requests.length / count).toFixed(2)} per Service), writes ${writes.length} (${(writes.length / count).toFixed(2)} per Service)`,
        ...[...byKind].sort((a, b) => b[1] - a[1]).map(([k, n]) => `    ${k.padEnd(36)} ${String(n).padStart(6)}  (${(n / count).toFixed(2)} per Service)`),
        '',
      ].join('\n'),
    );
  } finally {
    await cp.stop();
    if (process.env.TSVS_BENCH_KEEP) process.stdout.write(`kept ${workDir}\n`);
    else rmSync(workDir, { recursive: true, force: true });
  }
}
