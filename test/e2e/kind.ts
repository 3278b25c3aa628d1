/**
 * The kind suite, for machines with Docker, kind, kubectl and helm on PATH:
 *   node --import tsx test/e2e/kind.ts [--controller-only] [--keep]
 * --controller-only skips the steps that need the speaker (issue 6);
 * --keep leaves the cluster up for a look afterwards.
 * Exits non-zero at the first step that fails, printing its output.
 */
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../support/processes.js';
import { e2eSteps, teardown, type Facts, type Step } from './plan.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function execute(argv: string[], stdin?: string): Promise<Outcome> {
  const [command, ...args] = argv;
  return new Promise((done, fail) => {
    const child = spawn(command!, args, { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

async function runStep(step: Step, facts: Facts): Promise<void> {
  const argv = typeof step.argv === 'function' ? step.argv(facts) : step.argv;
  const stdin = step.stdin?.(facts);
  let last: Outcome | undefined;
  const attempt = async () => {
    last = await execute(argv, stdin);
    return last.code === 0 && (step.until?.check(last.stdout, facts) ?? true);
  };
  try {
    if (step.until) await waitFor(step.name, attempt, step.until.timeoutMs, 2_000);
    else if (!(await attempt())) throw new Error(`${step.name}: exit ${last?.code}`);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n$ ${argv.join(' ')}\n${last?.stdout ?? ''}${last?.stderr ?? ''}`, { cause: err });
  }
  Object.assign(facts, step.learn?.(last!.stdout));
}

async function main(): Promise<void> {
  const controllerOnly = process.argv.includes('--controller-only');
  const keep = process.argv.includes('--keep');
  const facts: Facts = {};
  const say = (line: string) => process.stdout.write(`${line}\n`);
  let failure: unknown;
  try {
    for (const step of e2eSteps(repoRoot)) {
      if (controllerOnly && step.needsSpeaker) {
        say(`- skip (needs the speaker): ${step.name}`);
        continue;
      }
      const started = Date.now();
      await runStep(step, facts);
      say(`ok ${step.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }
  } catch (err) {
    failure = err;
  }
  if (!keep) await runStep(teardown, facts).catch((err: Error) => say(`teardown failed: ${err.message}`));
  if (failure) throw failure;
  say('kind suite passed');
}

main().catch((err: Error) => {
  process.stderr.write(`kind suite failed: ${err.message}\n`);
  process.exit(1);
});
