import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cliArgs = ['--import', 'tsx', resolve(repoRoot, 'src/cli.ts')];

/** Runs `tsvs ARGS` to completion from the TypeScript sources. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [...cliArgs, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Starts `tsvs ARGS` as a long-running process; its pino log lines arrive through onLogLine. */
export function startCli(args: string[], onLogLine: (entry: Record<string, unknown>) => void, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(process.execPath, [...cliArgs, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let pending = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      try {
        onLogLine(JSON.parse(line) as Record<string, unknown>);
      } catch {
        onLogLine({ msg: line, unparsed: true });
      }
    }
  });
  return child;
}
