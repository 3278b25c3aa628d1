import { prepareLab } from './lab.js';

/** vitest global setup of the lab project: downloads and builds the lab kernel once, before any test boots it. */
export default async function setup(): Promise<void> {
  const started = Date.now();
  const image = await prepareLab();
  process.stderr.write(`lab kernel ${image.release} ready in ${Date.now() - started} ms (${image.dir})\n`);
}
