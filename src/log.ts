import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * One JSON object per line, on stderr by default so that stdout stays free for command
 * output; the speaker, a daemon with no output of its own, logs to stdout (fd 1).
 */
export function createLogger(component: string, level: string = process.env.TSVS_LOG_LEVEL ?? 'info', fd: 1 | 2 = 2): Logger {
  return pino({ name: `tsvs-${component}`, level, base: { component } }, pino.destination(fd));
}
