import { execFile, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, startLogged, StopWaiting, stopProcess, waitFor } from '../support/processes.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Builds (first time on a machine) or finds the cached kube-apiserver and etcd; returns their directory. */
export async function buildKubeBinaries(): Promise<string> {
  const { stdout } = await promisify(execFile)(join(repoRoot, 'test/kube-bin/build.sh'), [], {
    maxBuffer: 64 << 20,
    timeout: 60 * 60 * 1000,
  });
  return stdout.trim().split('\n').at(-1)!;
}

export interface ControlPlane {
  server: string;
  token: string;
  caPem: string;
  kubeconfigPath: string;
  workDir: string;
  /** Admin kubeconfigs of the extraUsers, by name (each a member of system:masters). */
  userKubeconfigs: Record<string, string>;
  /** The audit log (one JSON event per line) when audit was asked for. */
  auditLogPath?: string;
  /** The kube-apiserver process, for tests that pause it (SIGSTOP) to play an API outage. */
  apiserverPid: number;
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  /** Further admin users, so that a test can tell one client's requests from another's in the audit log. */
  extraUsers?: string[];
  /** Log every request's metadata to an audit log. */
  audit?: boolean;
}

/**
 * etcd and kube-apiserver on loopback, with RBAC and a static-token admin,
 * the flags envtest uses (see shared/APISERVER.md §3.5).
 */
export async function startControlPlane(binDir: string, workDir: string, options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  mkdirSync(workDir, { recursive: true });
  const etcdPort = await freePort();
  const peerPort = await freePort();
  const etcd = startLogged(
    join(binDir, 'etcd'),
    [
      `--data-dir=${join(workDir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      '--unsafe-no-fsync=true',
      '--log-level=error',
    ],
    join(workDir, 'etcd.log'),
  );
  try {
    await waitFor('etcd /health', () => alive(etcd, 'etcd').then(() => httpOk(`http://127.0.0.1:${etcdPort}/health`)), 30_000);
  } catch (err) {
    await stopProcess(etcd);
    throw withLog(err, join(workDir, 'etcd.log'));
  }

  const token = randomBytes(24).toString('hex');
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  writeFileSync(join(workDir, 'sa.key'), privateKey, { mode: 0o600 });
  writeFileSync(join(workDir, 'sa.pub'), publicKey);
  const userTokens = Object.fromEntries((options.extraUsers ?? []).map((user) => [user, randomBytes(24).toString('hex')]));
  const tokenLines = [[token, 'admin'], ...Object.entries(userTokens).map(([user, t]) => [t, user])].map(([t, user]) => `${t},${user},${user}-uid,"system:masters"`);
  writeFileSync(join(workDir, 'tokens.csv'), `${tokenLines.join('\n')}\n`, { mode: 0o600 });
  const certDir = join(workDir, 'certs');
  const port = await freePort();
  const args = [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    `--secure-port=${port}`,
    '--bind-address=127.0.0.1',
    `--cert-dir=${certDir}`,
    `--service-account-issuer=https://127.0.0.1:${port}/`,
    `--service-account-signing-key-file=${join(workDir, 'sa.key')}`,
    `--service-account-key-file=${join(workDir, 'sa.pub')}`,
    '--authorization-mode=RBAC',
    `--token-auth-file=${join(workDir, 'tokens.csv')}`,
    // Dual-stack, so that tests can create IPv6 and dual-stack Services.
    '--service-cluster-ip-range=10.0.0.0/16,fd00:10::/108',
    '--disable-admission-plugins=ServiceAccount',
    '--allow-privileged=true',
    '--profiling=false',
    '-v=1',
  ];
  const auditLogPath = options.audit ? join(workDir, 'audit.log') : undefined;
  if (auditLogPath) {
    writeFileSync(join(workDir, 'audit-policy.yaml'), 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n');
    args.push(`--audit-policy-file=${join(workDir, 'audit-policy.yaml')}`, `--audit-log-path=${auditLogPath}`, '--audit-log-mode=batch');
  }
  // Without a default route kube-apiserver cannot pick an address to advertise.
  if (!hasDefaultRoute()) args.push('--advertise-address=127.0.0.1', '--endpoint-reconciler-type=none');
  const apiserver = startLogged(join(binDir, 'kube-apiserver'), args, join(workDir, 'kube-apiserver.log'), {
    ...process.env,
    NO_PROXY: '127.0.0.1,localhost',
  });
  const server = `https://127.0.0.1:${port}`;
  const stop = async () => {
    await stopProcess(apiserver);
    await stopProcess(etcd);
  };
  try {
    const crt = join(certDir, 'apiserver.crt');
    await waitFor('kube-apiserver certificate', () => alive(apiserver, 'kube-apiserver').then(() => existsSync(crt)), 60_000);
    const caPem = readFileSync(crt, 'utf8');
    const get = (path: string) => httpsStatus(`${server}${path}`, caPem, token);
    await waitFor('kube-apiserver /readyz', () => alive(apiserver, 'kube-apiserver').then(async () => (await get('/readyz')) === 200), 90_000, 500);
    await waitFor('the default namespace', async () => (await get('/api/v1/namespaces/default')) === 200, 30_000);
    const kubeconfigPath = join(workDir, 'kubeconfig');
    writeFileSync(kubeconfigPath, adminKubeconfig(server, caPem, token), { mode: 0o600 });
    const userKubeconfigs = Object.fromEntries(
      Object.entries(userTokens).map(([user, t]) => {
        const path = join(workDir, `kubeconfig-${user}`);
        writeFileSync(path, adminKubeconfig(server, caPem, t), { mode: 0o600 });
        return [user, path];
      }),
    );
    return { server, token, caPem, kubeconfigPath, workDir, userKubeconfigs, auditLogPath, apiserverPid: apiserver.pid!, stop };
  } catch (err) {
    await stop();
    throw withLog(err, join(workDir, 'kube-apiserver.log'));
  }
}

/** Rejects at once if the process has exited, so a crash is reported now rather than at the timeout. */
async function alive(child: ChildProcess, name: string): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    throw new StopWaiting(`${name} exited (${child.exitCode ?? child.signalCode})`);
  }
}

function adminKubeconfig(server: string, caPem: string, token: string): string {
  const ca = Buffer.from(caPem).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: test\n  cluster:\n    server: ${server}\n    certificate-authority-data: ${ca}`,
    'users:',
    `- name: admin\n  user:\n    token: ${token}`,
    'contexts:',
    '- name: test\n  context:\n    cluster: test\n    user: admin',
    'current-context: test',
    '',
  ].join('\n');
}

function hasDefaultRoute(): boolean {
  const v4 = readFileSync('/proc/net/route', 'utf8').split('\n').slice(1);
  return v4.some((line) => line.split('\t')[1] === '00000000');
}

function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpRequest(url, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

function httpsStatus(url: string, ca: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

function withLog(err: unknown, logFile: string): Error {
  const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n') : '(no log)';
  return new Error(`${(err as Error).message}\n--- ${logFile} (last lines)\n${tail}`);
}
