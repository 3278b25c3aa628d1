import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { KubernetesObject } from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';

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

export interface ChartValues {
  valuesFiles?: string[];
  /** Each key=value becomes --set-json key=JSON(value). */
  setJson?: Record<string, unknown>;
}

/** helm's --values and --set-json arguments for these values. */
export function valueArgs(values: ChartValues): string[] {
  const args: string[] = [];
  for (const file of values.valuesFiles ?? []) args.push('--values', file);
  for (const [key, value] of Object.entries(values.setJson ?? {})) args.push('--set-json', `${key}=${JSON.stringify(value)}`);
  return args;
}

/** `helm template` of the chart as plain objects (wire field names); throws with helm's message on failure. */
export async function renderChart(bin: string, namespace: string, values: ChartValues = {}, release = 'tsvs'): Promise<KubernetesObject[]> {
  const result = await helm(bin, ['template', release, chartDir, '--namespace', namespace, ...valueArgs(values)]);
  if (result.status !== 0) throw new Error(`helm template failed (${result.status}): ${result.stderr}`);
  return (loadAll(result.stdout) as Array<KubernetesObject | null>).filter((o): o is KubernetesObject => o !== null);
}
