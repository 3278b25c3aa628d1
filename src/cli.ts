#!/usr/bin/env node
import { HelpRequested, UsageError } from './commandInput.js';

type Command = (argv: string[], env: NodeJS.ProcessEnv) => Promise<void>;

// Loaded on demand: the Kubernetes client is heavy, and realserver-init runs in every pod start.
const commands: Record<string, { load: () => Promise<Command>; summary: string }> = {
  controller: {
    load: async () => (await import('./commands/controller.js')).runController,
    summary: 'watch Services and VirtualServers, allocate VIPs, write status',
  },
  speaker: {
    load: async () => (await import('./commands/speaker.js')).runSpeaker,
    summary: 'on one node: VRRP, VIPs, gratuitous ARP and the IPVS table',
  },
  'realserver-init': {
    load: async () => (await import('./commands/realServerInit.js')).runRealServerInit,
    summary: "inside a pod: VIPs on lo and the real server's ARP sysctls",
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(16)} ${c.summary}`);
  return `usage: tsvs <command> [flags]\n\ncommands:\n${lines.join('\n')}\n\nRun 'tsvs <command> --help' for a command's flags.\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`tsvs: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    const run = await command.load();
    await run(rest, process.env);
    return 0;
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(err.message);
      return 0;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    process.stderr.write(`tsvs ${name}: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
