import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { TestProject } from 'vitest/node';
import './providedContext.js';
import { buildKubeBinaries, startControlPlane } from './controlPlane.js';
import { installCrds } from './crds.js';


/** vitest global setup: one real etcd + kube-apiserver for the integration project, CRDs installed. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const binDir = await buildKubeBinaries();
  const workDir = mkdtempSync(join(tmpdir(), 'tsvs-apiserver-'));
  const controlPlane = await startControlPlane(binDir, workDir);
  const kc = new KubeConfig();
  kc.loadFromFile(controlPlane.kubeconfigPath);
  await installCrds(kc, resolve('deploy/crds'));
  process.stderr.write(`kube-apiserver ready at ${controlPlane.server} in ${Date.now() - started} ms (binaries: ${binDir})\n`);
  project.provide('kubeconfigPath', controlPlane.kubeconfigPath);
  return async () => {
    await controlPlane.stop();
    rmSync(workDir, { recursive: true, force: true });
  };
}
