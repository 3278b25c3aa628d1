// Run in the lab guest by selftest.sh: proves node runs there and loads the repository's TypeScript.
import { release } from 'node:os';
import { createLogger } from '../../../src/log.js';

const logger = createLogger('lab-selftest');
const report: { kernel: string; node: string; uid: number | undefined; loggerLevel: string } = {
  kernel: release(),
  node: process.version,
  uid: process.getuid?.(),
  loggerLevel: logger.level,
};
process.stdout.write(`LAB_RESULT ${JSON.stringify({ name: 'node', ...report })}\n`);
