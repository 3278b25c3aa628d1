// A VRRP speaker for one lab node: `node --import tsx test/lab/vrrpNode.ts '<config json>'`
// inside the node's network namespace. Holds the VIPs of its config (VipHolder, the same code
// the speaker runs); SIGTERM stops it cleanly (priority 0, VIPs and sysctls undone).
import { createLogger } from '../../src/log.js';
import { VipHolder } from '../../src/speaker/vipHolder.js';
import { vipHolderConfigSchema } from '../../src/speaker/vrrp/config.js';

const log = createLogger('vrrp-lab', process.env.TSVS_LOG_LEVEL ?? 'info');
const config = vipHolderConfigSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
const holder = VipHolder.create(config, log);
await holder.start();
log.info({ event: 'lab-node-started' }, 'started');
process.once('SIGTERM', () => {
  holder.stop().then(
    () => {
      log.info({ event: 'lab-node-stopped' }, 'stopped');
      process.exit(0);
    },
    (err: unknown) => {
      log.error({ err }, 'stop failed');
      process.exit(1);
    },
  );
});
