import { parseArgs } from 'node:util';
import { z } from 'zod';

/** A command line or environment that a subcommand refuses; the CLI prints it and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `--help` was given: the message is the subcommand's usage, printed on stdout with exit 0. */
export class HelpRequested extends Error {
  override readonly name = 'HelpRequested';
}

export interface FlagSpec {
  type: 'string' | 'boolean';
  description: string;
  /** Environment variable read when the flag is not given. */
  env?: string;
}

/**
 * Parses a subcommand's flags, fills unset ones from their environment
 * variables, and validates the result with the subcommand's zod schema, whose
 * keys are the flags in camelCase.
 */
export function parseCommandInput<S extends z.ZodType>(
  command: string,
  schema: S,
  flags: Record<string, FlagSpec>,
  argv: string[],
  env: NodeJS.ProcessEnv,
): z.infer<S> {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(Object.entries(flags).map(([flag, spec]) => [flag, { type: spec.type }]));
    values = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean' } }, strict: true }).values as typeof values;
  } catch (err) {
    throw new UsageError(`tsvs ${command}: ${(err as Error).message}\n\n${commandUsage(command, flags)}`);
  }
  if (values.help) throw new HelpRequested(commandUsage(command, flags));
  const merged: Record<string, unknown> = {};
  for (const [flag, spec] of Object.entries(flags)) {
    const fromEnv = spec.env !== undefined && env[spec.env] !== '' ? env[spec.env] : undefined;
    const value = values[flag] ?? (spec.type === 'boolean' && fromEnv !== undefined ? fromEnv === 'true' : fromEnv);
    if (value !== undefined) merged[camelCase(flag)] = value;
  }
  const result = schema.safeParse(merged);
  if (!result.success) {
    const detail = result.error.issues.map((issue) => {
      const flag = kebabCase(String(issue.path[0] ?? ''));
      const env = flags[flag]?.env;
      return `  --${flag}${env ? ` ($${env})` : ''}: ${issue.message}`;
    });
    throw new UsageError(`tsvs ${command}: invalid input\n${detail.join('\n')}`);
  }
  return result.data;
}

export function commandUsage(command: string, flags: Record<string, FlagSpec>): string {
  const lines = Object.entries(flags).map(([flag, spec]) => {
    const name = spec.type === 'string' ? `--${flag} VALUE` : `--${flag}`;
    return `  ${name.padEnd(30)} ${spec.description}${spec.env ? ` [$${spec.env}]` : ''}`;
  });
  return `usage: tsvs ${command} [flags]\n\nflags:\n${lines.join('\n')}\n`;
}

function camelCase(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function kebabCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** HOST:PORT a server listens on ([IPv6]:PORT too; an empty host means 0.0.0.0; port 0 picks one). */
export function listenAddress(defaultAddress?: string) {
  const text = z.string().regex(/^(.*):(\d{1,5})$/, 'must be HOST:PORT');
  return (defaultAddress === undefined ? text : text.default(defaultAddress))
    .transform((s) => ({ host: s.slice(0, s.lastIndexOf(':')).replace(/^\[|\]$/g, '') || '0.0.0.0', port: Number(s.slice(s.lastIndexOf(':') + 1)) }))
    .refine((a) => a.port <= 65535, 'port must be at most 65535');
}
