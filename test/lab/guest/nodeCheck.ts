// Run in the lab guest by selftest.sh: proves node runs there and loads the repository's TypeScript,
// either as the .js that lab.ts transpiled beside it or through tsx.
import { release } from 'node:os';
import { createLogger } from '../../../src/log.js';

const logger = createLogger('lab-selftest');
const report: { name: string; loader: 'js' | 'tsx'; kernel: string; node: string; uid: number | undefined; loggerLevel: string } = {
  name: process.argv[2] ?? 'node',
  loader: import.meta.url.endsWith('.ts') ? 'tsx' : 'js',
  kernel: release(),
  node: process.version,
  uid: process.getuid?.(),
  loggerLevel: logger.level,
};
process.stdout.write(`LAB_RESULT ${JSON.stringify(report)}\n`);
