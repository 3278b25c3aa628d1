import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Host side of `lab_ask` (guest/lib.sh): the guest script writes a request
 * `ask/<nanoseconds>-<name>.json` into LAB_SHARE and waits for `<same>.reply`; this answers
 * them one at a time, oldest first, with `{ok: true, value}` or `{ok: false, error}`.
 * Start it from runInLab's onShare.
 */
export type AskHandler = (arg: unknown) => Promise<unknown>;

export interface AskLogEntry {
  name: string;
  arg: unknown;
  ms: number;
  error?: string;
}

export interface AskServer {
  /** Every request answered so far, in order. */
  readonly log: AskLogEntry[];
  stop(): Promise<void>;
}

const requestFile = /^(\d+)-([A-Za-z0-9_.-]+)\.json$/;

export function serveAsks(shareDir: string, handlers: Record<string, AskHandler>, pollMs = 50): AskServer {
  const dir = join(shareDir, 'ask');
  mkdirSync(dir, { recursive: true });
  const log: AskLogEntry[] = [];
  const answered = new Set<string>();
  let stopped = false;

  const answer = async (file: string, name: string): Promise<void> => {
    const started = Date.now();
    let arg: unknown = null;
    let reply: { ok: true; value: unknown } | { ok: false; error: string };
    try {
      const text = readFileSync(join(dir, file), 'utf8').trim();
      arg = text === '' ? null : (JSON.parse(text) as unknown);
      const handler = handlers[name];
      if (!handler) throw new Error(`no handler for ${name} (known: ${Object.keys(handlers).join(', ')})`);
      reply = { ok: true, value: (await handler(arg)) ?? null };
    } catch (err) {
      reply = { ok: false, error: (err as Error).message };
    }
    const base = join(dir, file.replace(/\.json$/, ''));
    writeFileSync(`${base}.reply.tmp`, `${JSON.stringify(reply)}\n`);
    renameSync(`${base}.reply.tmp`, `${base}.reply`);
    log.push({ name, arg, ms: Date.now() - started, ...(!reply.ok && { error: reply.error }) });
  };

  const loop = (async () => {
    while (!stopped) {
      const pending = existsSync(dir)
        ? readdirSync(dir)
            .filter((f) => requestFile.test(f) && !answered.has(f))
            .sort()
        : [];
      for (const file of pending) {
        answered.add(file);
        await answer(file, requestFile.exec(file)![2]!);
      }
      if (pending.length === 0) await new Promise((r) => setTimeout(r, pollMs));
    }
  })();

  return {
    log,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}
