// Runs one guest script in the lab from the command line, for debugging guest scripts:
//   node --import tsx test/lab/cli.ts [--user-network] SCRIPT [NAME=VALUE...]
// Prints the script's output, then its timings; exits with the script's exit code.
import { resolve } from 'node:path';
import { runInLab } from './lab.js';

const args = process.argv.slice(2);
const userNetwork = args[0] === '--user-network';
const [script, ...assignments] = userNetwork ? args.slice(1) : args;
if (!script) {
  process.stderr.write('usage: node --import tsx test/lab/cli.ts [--user-network] SCRIPT [NAME=VALUE...]\n');
  process.exit(2);
}
const env = Object.fromEntries(assignments.map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
const run = await runInLab(resolve(script), { env, userNetwork });
process.stdout.write(run.output);
process.stderr.write(`lab: exit ${run.exitCode}, boot ${run.timings.bootMs} ms, total ${run.timings.totalMs} ms\n`);
process.exit(run.exitCode);
