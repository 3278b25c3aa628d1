import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** What a guest script left behind: its exit code, its stdout+stderr, and its `LAB_RESULT <json>` lines parsed. */
export interface LabRun {
  exitCode: number;
  output: string;
  results: unknown[];
  /** Milliseconds from starting qemu until the guest script started, and until qemu exited. */
  timings: { bootMs: number; totalMs: number };
}

export interface LabOptions {
  /** Whole run, boot included; qemu is killed when it expires. Default 300 s. */
  timeoutMs?: number;
  /** Exported to the guest script. Names must be shell identifiers. */
  env?: Record<string, string>;
  /** Adds qemu's user network: guest eth0 10.0.2.15/24, the host's loopback at 10.0.2.2. */
  userNetwork?: boolean;
  /** Guest memory. Default 1024 MiB. */
  memoryMiB?: number;
  /**
   * Called before the guest boots with the host path of the directory the guest sees as
   * LAB_SHARE, for a host side that talks with the script while it runs (labAsk.ts, lab_ask).
   */
  onShare?: (hostDir: string) => void;
}

export class LabError extends Error {
  constructor(
    message: string,
    /** The guest script's output so far, and the tail of the serial console (kernel and init messages). */
    readonly output: string,
    readonly console: string,
  ) {
    super(`${message}\n--- guest output (tail)\n${tail(output)}\n--- console (tail)\n${tail(console)}`);
    this.name = 'LabError';
  }
}

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const imageSchema = z.object({
  dir: z.string(),
  kernel: z.string(),
  initrd: z.string(),
  modroot: z.string(),
  release: z.string(),
});
export type LabImage = z.infer<typeof imageSchema>;

// Top-level directories whose TypeScript is transpiled for the guest.
const transpiledDirs = ['src', 'test', 'bench'];
const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;
const resultLine = /^LAB_RESULT (.*)$/gm;
const stage2Marker = 'LAB_STAGE2';
// The guest mounts fresh tmpfs here, so host files below them are invisible to it.
const hiddenInGuest = ['/tmp/', '/run/', '/proc/', '/sys/', '/dev/'];

let prepared: Promise<LabImage> | undefined;

/** Runs test/lab/prepare.sh once per process (cheap when its cache is warm) and returns the kernel image it built. */
export function prepareLab(): Promise<LabImage> {
  prepared ??= new Promise<LabImage>((resolvePrepared, reject) => {
    const child = spawn('bash', [join(repoRoot, 'test/lab/prepare.sh')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`test/lab/prepare.sh exited with ${code}`));
      try {
        resolvePrepared(imageSchema.parse(JSON.parse(stdout.trim().split('\n').at(-1) ?? '')));
      } catch (err) {
        reject(new Error(`test/lab/prepare.sh printed no image manifest: ${String(err)}`));
      }
    });
  });
  return prepared;
}

const running = new Set<ChildProcess>();
// qemu runs in its own process group (with `timeout` as a backstop); take the group down with us.
process.once('exit', () => {
  for (const child of running) killGroup(child);
});

/**
 * Boots the lab kernel under qemu with the host root shared read-only, runs guestScript
 * (a sh script on the host, outside /tmp) as root in it, and returns what it left.
 * Rejects with LabError when the guest does not finish in time or never ran the script.
 */
export async function runInLab(guestScript: string, opts: LabOptions = {}): Promise<LabRun> {
  const timeoutMs = opts.timeoutMs ?? 300_000;
  if (!isAbsolute(guestScript) || !existsSync(guestScript)) throw new Error(`guest script ${guestScript}: not an absolute path to an existing file`);
  if (!guestScript.startsWith(`${repoRoot}/`) && hiddenInGuest.some((dir) => guestScript.startsWith(dir))) throw new Error(`guest script ${guestScript}: the guest cannot see files under ${hiddenInGuest.join(' ')}`);
  for (const name of Object.keys(opts.env ?? {})) if (!envName.test(name)) throw new Error(`env name ${JSON.stringify(name)} is not a shell identifier`);

  const image = await prepareLab();
  const workDir = mkdtempSync(join(tmpdir(), 'tsvs-lab-'));
  try {
    const jsDirs = await transpileRepo(join(workDir, 'js'));
    writeFileSync(join(workDir, 'env.sh'), envFile(guestScript, jsDirs, opts));
    opts.onShare?.(workDir);
    return await boot(image, guestScript, workDir, timeoutMs, opts);
  } finally {
    if (process.env.LAB_KEEP === '1') process.stderr.write(`lab: kept ${workDir}\n`);
    else rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * Transpiles the repository's TypeScript with esbuild into outDir, same layout, so that
 * the guest can lay the .js files beside the sources and run them with plain node:
 * under TCG, tsx takes 5x longer than node to start. Returns the directories done;
 * none if esbuild fails (lab_node then falls back to tsx).
 */
async function transpileRepo(outDir: string): Promise<string[]> {
  const dirs = transpiledDirs.filter((dir) => existsSync(join(repoRoot, dir)));
  const files = dirs.flatMap((dir) =>
    readdirSync(join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.split('/').includes('node_modules'))
      .map((file) => join(repoRoot, dir, file)),
  );
  const fromTsx = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'));
  const esbuild = join(dirname(fromTsx.resolve('esbuild/package.json')), 'bin/esbuild');
  const args = [...files, `--outdir=${outDir}`, `--outbase=${repoRoot}`, '--format=esm', '--platform=node', '--target=node20', '--sourcemap=inline', '--log-level=error'];
  const child = spawn(esbuild, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
  const code = await new Promise<number | null>((done) => {
    child.once('error', (err) => {
      errors += String(err);
      done(null);
    });
    child.once('close', done);
  });
  if (code === 0) return dirs;
  process.stderr.write(`lab: esbuild could not transpile the repository, guest node will use tsx:\n${errors}\n`);
  return [];
}

function envFile(guestScript: string, jsDirs: string[], opts: LabOptions): string {
  const vars: Record<string, string> = {
    ...opts.env,
    LAB_JS_DIRS: jsDirs.join(' '),
    LAB_REPO: repoRoot,
    LAB_SCRIPT: guestScript,
    LAB_SHARE: '/run/lab',
    LAB_USER_NETWORK: opts.userNetwork ? '1' : '0',
  };
  return Object.entries(vars)
    .map(([name, value]) => `export ${name}=${shellQuote(value)}\n`)
    .join('');
}

function qemuArgs(image: LabImage, workDir: string, opts: LabOptions): string[] {
  const append = [
    'console=ttyS0',
    'quiet',
    'panic=-1',
    `lab_init=${join(repoRoot, 'test/lab/guest/init.sh')}`,
    `lab_repo=${repoRoot}`,
    `lab_modroot=${image.modroot}`,
  ];
  return [
    ...['-accel', 'tcg', '-m', String(opts.memoryMiB ?? 1024), '-smp', '2'],
    ...['-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'stdio', '-no-reboot'],
    ...['-kernel', image.kernel, '-initrd', image.initrd, '-append', append.join(' ')],
    ...['-virtfs', 'local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap'],
    ...['-virtfs', `local,path=${workDir},mount_tag=lab,security_model=none`],
    ...(opts.userNetwork ? ['-nic', 'user,model=virtio-net-pci'] : []),
  ];
}

async function boot(image: LabImage, guestScript: string, workDir: string, timeoutMs: number, opts: LabOptions): Promise<LabRun> {
  if (/\s/.test(repoRoot + image.modroot)) throw new Error(`lab paths must not contain spaces: ${repoRoot}`);
  const started = Date.now();
  const backstopS = String(Math.ceil(timeoutMs / 1000) + 30);
  const child = spawn('timeout', ['-s', 'KILL', backstopS, 'qemu-system-x86_64', ...qemuArgs(image, workDir, opts)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child);
  let consoleLog = '';
  let bootMs = -1;
  const onConsole = (chunk: string): void => {
    consoleLog = (consoleLog + chunk).slice(-64_000);
    if (bootMs < 0 && consoleLog.includes(stage2Marker)) bootMs = Date.now() - started;
    if (process.env.LAB_VERBOSE === '1') process.stderr.write(chunk);
  };
  child.stdout?.setEncoding('utf8').on('data', onConsole);
  child.stderr?.setEncoding('utf8').on('data', onConsole);

  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child);
  }, timeoutMs);
  const status = await new Promise<number | null>((done, fail) => {
    child.once('error', fail);
    child.once('close', (code) => done(code));
  }).finally(() => {
    clearTimeout(timer);
    running.delete(child);
  });
  const totalMs = Date.now() - started;

  const output = readIfExists(join(workDir, 'output.log'));
  const exitCodeText = readIfExists(join(workDir, 'exit-code')).trim();
  if (timedOut) throw new LabError(`lab run of ${guestScript} timed out after ${timeoutMs} ms`, output, consoleLog);
  if (!/^\d+$/.test(exitCodeText)) throw new LabError(`lab guest ended (qemu status ${status}) before ${guestScript} finished`, output, consoleLog);
  const results = [...output.matchAll(resultLine)].map((match) => {
    const json = match[1] ?? '';
    try {
      return JSON.parse(json) as unknown;
    } catch {
      throw new LabError(`${guestScript} printed a LAB_RESULT line that is not JSON: ${json}`, output, consoleLog);
    }
  });
  return { exitCode: Number(exitCodeText), output, results, timings: { bootMs, totalMs } };
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}

function readIfExists(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}
