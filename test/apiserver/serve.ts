/**
 * Runs the test control plane by hand: `npm run apiserver` builds (first time)
 * and starts etcd + kube-apiserver with the CRDs installed, prints the admin
 * kubeconfig path, and stops both on Ctrl-C.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { buildKubeBinaries, startControlPlane } from './controlPlane.js';
import { installCrds } from './crds.js';

const workDir = mkdtempSync(join(tmpdir(), 'tsvs-apiserver-'));
const controlPlane = await startControlPlane(await buildKubeBinaries(), workDir);
const kc = new KubeConfig();
kc.loadFromFile(controlPlane.kubeconfigPath);
await installCrds(kc, resolve('deploy/crds'));
process.stdout.write(`kube-apiserver: ${controlPlane.server}\nexport KUBECONFIG=${controlPlane.kubeconfigPath}\n`);
await new Promise<void>((done) => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => done());
});
await controlPlane.stop();
rmSync(workDir, { recursive: true, force: true });
