import { build, type BuildOptions } from 'esbuild';
import { join } from 'node:path';
import { repoRoot } from './lab.js';

/**
 * Lab programs bundled into single files: under qemu's software emulation, loading them
 * through tsx from the 9p root takes ~20 s per process, the bundle a few. The bundle sits three
 * levels below the repository, like src/speaker/net/, so the rawsock addon's relative path holds.
 */
export const labBundleDir = join(repoRoot, '.cache/lab/bundle');

/** esbuild options of a lab bundle: ESM for node 20, `.mjs` files in labBundleDir. */
export const labBundleOptions = {
  outdir: labBundleDir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // netlink finds its own native part relative to its package directory.
  external: ['netlink'],
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
} satisfies BuildOptions;

export async function bundleVrrpPrograms(): Promise<void> {
  await build({ ...labBundleOptions, entryPoints: ['vrrpNode', 'vrrpInject', 'vrrpProbe'].map((name) => join(repoRoot, 'test/lab', `${name}.ts`)) });
}
