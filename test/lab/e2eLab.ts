import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleE2ePrograms, e2eTopology, startE2eCluster, type E2eCluster } from './e2eCluster.js';
import { serveAsks, type AskHandler, type AskLogEntry, type AskServer } from './labAsk.js';
import { repoRoot, runInLab, type LabRun } from './lab.js';

export interface E2eOptions {
  /** real: tsvs speakers in the node namespaces; manual: VIPs and IPVS programmed by the script (harness check). */
  speaker?: 'real' | 'manual';
  /** How long kube-apiserver stays stopped in scenario 5. */
  apiPauseSeconds?: number;
  /**
   * The node side of each pod's veth carries an address, as on a bridge CNI (E2E_POD_VETH_ADDRESS
   * in guest/e2e.sh). Default: none, as with Calico or Cilium.
   */
  podVethAddress?: boolean;
  /** Progress lines (host side). */
  log?: (line: string) => void;
  timeoutMs?: number;
}

export interface E2eRun {
  run: LabRun;
  /** The guest's requests to the host, in order, with how long each took. */
  asks: AskLogEntry[];
  vips: Record<string, string>;
  /** Where the control plane and controller logs were (removed unless LAB_KEEP=1). */
  workDir: string;
}

/**
 * The end-to-end lab in one VM boot: the control plane and the controller start on the host
 * while the guest boots and builds its topology; the guest's `lab_ask cluster` waits for them.
 */
export async function runE2eLab(opts: E2eOptions = {}): Promise<E2eRun> {
  const log = opts.log ?? (() => {});
  const programs = await bundleE2ePrograms();
  const workDir = mkdtempSync(join(tmpdir(), 'tsvs-e2e-'));
  const clusterStarting = startE2eCluster(workDir, log);
  // Keep a failed start from being an unhandled rejection before the guest asks for it.
  clusterStarting.catch(() => {});
  let asks: AskServer | undefined;
  try {
    const run = await runInLab(`${repoRoot}/test/lab/guest/e2e.sh`, {
      userNetwork: true,
      memoryMiB: 2048,
      timeoutMs: opts.timeoutMs ?? 840_000,
      env: {
        E2E_TOPOLOGY: JSON.stringify(e2eTopology),
        E2E_CLI: programs.cli,
        E2E_APP: programs.app,
        E2E_SPEAKER: opts.speaker ?? 'real',
        E2E_API_PAUSE_S: String(opts.apiPauseSeconds ?? 30),
        ...(opts.podVethAddress && { E2E_POD_VETH_ADDRESS: '1' }),
      },
      onShare: (shareDir) => {
        asks = serveAsks(shareDir, deferredHandlers(clusterStarting, shareDir, log));
      },
    });
    const cluster = await clusterStarting;
    return { run, asks: asks?.log ?? [], vips: cluster.vips, workDir };
  } finally {
    await asks?.stop();
    await clusterStarting.then(
      (cluster) => cluster.stop(),
      () => {},
    );
    if (process.env.LAB_KEEP === '1') log(`e2e: kept ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  }
}

/** The cluster's handlers, each waiting for the cluster to be up (the guest asks for `cluster` first). */
function deferredHandlers(cluster: Promise<E2eCluster>, shareDir: string, log: (line: string) => void): Record<string, AskHandler> {
  let handlers: Promise<Record<string, AskHandler>> | undefined;
  const get = () => (handlers ??= cluster.then((c) => c.askHandlers(shareDir)));
  return new Proxy({} as Record<string, AskHandler>, {
    get: (_target, name: string) => async (arg: unknown) => {
      const handler = (await get())[name];
      if (!handler) throw new Error(`no handler for ${name}`);
      const started = Date.now();
      const value = await handler(arg);
      if (name !== 'agree') log(`e2e: ${name} ${JSON.stringify(arg)} answered in ${Date.now() - started} ms`);
      return value;
    },
  });
}
