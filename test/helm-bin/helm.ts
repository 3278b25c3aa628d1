import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadAllYaml, type KubernetesObject } from '@kubernetes/client-node';

const run = promisify(execFile);
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const chartDir = join(repoRoot, 'charts/tsvs');

/** Builds (first time on a machine) or finds the cached helm; returns its path. */
export async function buildHelm(): Promise<string> {
  const { stdout } = await run(join(repoRoot, 'test/helm-bin/build.sh'), [], { maxBuffer: 64 << 20, timeout: 60 * 60 * 1000 });
  return stdout.trim().split('\n').at(-1)!;
}

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs helm to completion; a non-zero exit is a result, not an exception. */
export async function helm(bin: string, args: string[]): Promise<HelmResult> {
  try {
    const { stdout, stderr } = await run(bin, args, {
      cwd: repoRoot,
      maxBuffer: 64 << 20,
      timeout: 5 * 60 * 1000,
      // No user helm config or cache leaks in, and none is written to $HOME.
      env: { PATH: process.env.PATH, HOME: '/nonexistent', HELM_CACHE_HOME: '/tmp/tsvs-helm/cache', HELM_CONFIG_HOME: '/tmp/tsvs-helm/config', HELM_DATA_HOME: '/tmp/tsvs-helm/data' },
    });
    return { status: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { status: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** `helm template` of the chart with values files and --set-json pairs; throws with helm's message on failure. */
export async function renderChart(bin: string, options: { release?: string; namespace: string; valuesFiles?: string[]; setJson?: Record<string, unknown> }): Promise<KubernetesObject[]> {
  const args = ['template', options.release ?? 'tsvs', chartDir, '--namespace', options.namespace];
  for (const file of options.valuesFiles ?? []) args.push('--values', file);
  for (const [key, value] of Object.entries(options.setJson ?? {})) args.push('--set-json', `${key}=${JSON.stringify(value)}`);
  const result = await helm(bin, args);
  if (result.status !== 0) throw new Error(`helm template failed (${result.status}): ${result.stderr}`);
  return (loadAllYaml(result.stdout) as Array<KubernetesObject | null>).filter((o): o is KubernetesObject => o !== null);
}
