import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabError, repoRoot, runInLab } from './lab.js';
import { serveAsks, type AskServer } from './labAsk.js';

/** Work directories of lab VMs still running although their run has ended (its directory is gone). */
function orphanedVms(): string[] {
  const commands = execFileSync('ps', ['-eo', 'args='], { encoding: 'utf8' }).split('\n');
  return commands
    .filter((command) => command.startsWith('qemu-system-x86_64 '))
    .flatMap((command) => [.../local,path=([^,]+),mount_tag=lab/.exec(command)?.slice(1) ?? []])
    .filter((dir) => !existsSync(dir));
}

describe('runInLab', () => {
  it('keeps concurrent runs apart and passes env and exit codes through', async () => {
    const script = `${repoRoot}/test/lab/guest/echo-env.sh`;
    const values = [`it's "quoted" $HOME`, 'second run'];
    const runs = await Promise.all(
      values.map((value, i) => runInLab(script, { env: { LAB_TEST_VALUE: value, LAB_TEST_EXIT: String(i + 3) } })),
    );
    expect(runs.map((run) => run.exitCode)).toEqual([3, 4]);
    expect(runs.map((run) => run.results)).toEqual(values.map((value) => [{ value, tmpWasFresh: true }]));
  });

  it('reaches a server on the host loopback with userNetwork', async () => {
    const server = createServer((_req, res) => res.end('hello from the host'));
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    try {
      const port = (server.address() as AddressInfo).port;
      const run = await runInLab(`${repoRoot}/test/lab/guest/user-network.sh`, { userNetwork: true, env: { LAB_TEST_PORT: String(port) } });
      expect(run.results).toEqual([{ name: 'fetch', exitCode: 0, output: 'hello from the host' }]);
    } finally {
      server.close();
    }
  });

  it("answers the guest's lab_ask requests while it runs (onShare, serveAsks)", async () => {
    let asks: AskServer | undefined;
    const run = await runInLab(`${repoRoot}/test/lab/guest/ask.sh`, {
      onShare: (dir) => {
        asks = serveAsks(dir, { double: async (arg) => ({ n: (arg as { n: number }).n * 2 }) });
      },
    }).finally(() => asks?.stop());
    expect(run.exitCode, run.output).toBe(0);
    expect(run.results).toEqual([{ name: 'asks', first: { n: 42 }, second: { n: 84 }, unknownError: expect.stringContaining('lab_ask nonsense: no handler for nonsense') }]);
    expect(asks!.log.map((a) => a.name)).toEqual(['double', 'double', 'nonsense']);
  });

  it('kills qemu when the run times out and leaves no process behind', async () => {
    const run = runInLab(`${repoRoot}/test/lab/guest/hang.sh`, { timeoutMs: 20_000 });
    await expect(run).rejects.toThrow(LabError);
    await expect(run).rejects.toThrow(/timed out after 20000 ms/);
    expect(orphanedVms()).toEqual([]);
  });

  it('refuses a guest script the guest cannot see', async () => {
    const dir = mkdtempSync('/tmp/tsvs-lab-test-');
    try {
      writeFileSync(join(dir, 'script.sh'), 'exit 0\n');
      await expect(runInLab(join(dir, 'script.sh'))).rejects.toThrow(/the guest cannot see files under/);
      await expect(runInLab('test/lab/guest/echo-env.sh')).rejects.toThrow(/not an absolute path/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
