import { pino, type Logger } from 'pino';

export type { Logger };

/** One JSON object per line on stderr, so stdout stays free for command output. */
export function createLogger(component: string, level: string = process.env.TSVS_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: `tsvs-${component}`, level, base: { component } }, pino.destination(2));
}
