import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseCommandInput, type FlagSpec } from '../commandInput.js';
import { createLogger, type Logger } from '../log.js';
import { applyPodNetwork } from '../realserver/podNetwork.js';
import { parseRealServerConfig, portRedirectSchema, RealServerConfigError, type RealServerConfig } from '../realserver/realServerConfig.js';

const flags: Record<string, FlagSpec> = {
  vips: { type: 'string', description: 'comma-separated VIPs to put on lo', env: 'TSVS_VIPS' },
  redirects: { type: 'string', description: 'comma-separated PROTO/PORT=TARGET port redirects, for every VIP (e.g. tcp/80=8080)', env: 'TSVS_REDIRECTS' },
  'config-file': { type: 'string', description: "JSON {vips, redirects}: the pod's tsvs.io/realserver annotation through a downward-API volume", env: 'TSVS_CONFIG_FILE' },
  wait: { type: 'boolean', description: 'wait until the config file names at least one VIP (a VIP allocated after the pod was created)', env: 'TSVS_WAIT' },
  'wait-timeout-seconds': { type: 'string', description: 'give up waiting after this long (default 0: wait for ever)', env: 'TSVS_WAIT_TIMEOUT_SECONDS' },
  'poll-seconds': { type: 'string', description: 'how often the config file is read while waiting (default 2)', env: 'TSVS_POLL_SECONDS' },
};

const ipList = z
  .string()
  .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))
  .pipe(z.array(z.string().refine((ip) => isIP(ip) !== 0, { error: (i) => `'${String(i.input)}' is not an IP address` })).min(1));

const redirectList = z
  .string()
  .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))
  .pipe(
    z.array(
      z
        .string()
        .regex(/^(tcp|udp|sctp)\/\d{1,5}=\d{1,5}$/, 'must be PROTO/PORT=TARGET, e.g. tcp/80=8080')
        .transform((s) => {
          const [protocol, rest = ''] = s.split('/');
          const [port, targetPort] = rest.split('=').map(Number);
          return { protocol, port, targetPort };
        }),
    ),
  );

const seconds = (fallback: number) => z.string().regex(/^\d+(\.\d+)?$/, 'must be a number of seconds').transform(Number).default(fallback);

const realServerInitInput = z
  .object({
    vips: ipList.optional(),
    redirects: redirectList.optional(),
    configFile: z.string().min(1).optional(),
    wait: z.boolean().default(false),
    waitTimeoutSeconds: seconds(0),
    pollSeconds: seconds(2).refine((s) => s > 0, 'must be more than 0'),
  })
  .refine((i) => (i.vips === undefined) !== (i.configFile === undefined), { error: 'give either --vips or --config-file', path: ['vips'] })
  .refine((i) => i.redirects === undefined || i.vips !== undefined, { error: '--redirects goes with --vips (the config file carries its own)', path: ['redirects'] })
  .refine((i) => !i.wait || i.configFile !== undefined, { error: '--wait needs --config-file', path: ['wait'] });

type Input = z.infer<typeof realServerInitInput>;

function configFromFlags(input: Input): RealServerConfig {
  const vips = input.vips ?? [];
  const redirects = vips.flatMap((vip) => (input.redirects ?? []).map((r) => portRedirectSchema.parse({ ...r, vip })));
  return { vips: vips.map((v) => portRedirectSchema.shape.vip.parse(v)), redirects };
}

async function readConfigFile(path: string): Promise<RealServerConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new RealServerConfigError(`cannot read ${path}: ${(err as Error).message}`);
  }
  // The downward API writes an empty file while the annotation is absent.
  if (text.trim() === '') return { vips: [], redirects: [] };
  try {
    return parseRealServerConfig(text);
  } catch (err) {
    throw new RealServerConfigError(`${path}: ${(err as Error).message}`);
  }
}

/** Polls the file until it names a VIP: the controller fills in the annotation once the VIP exists. */
async function waitForVips(input: Input, path: string, log: Logger): Promise<RealServerConfig> {
  const deadline = input.waitTimeoutSeconds > 0 ? Date.now() + input.waitTimeoutSeconds * 1000 : Infinity;
  let announced = false;
  for (;;) {
    const config = await readConfigFile(path);
    if (config.vips.length > 0 || !input.wait) return config;
    if (Date.now() >= deadline) throw new RealServerConfigError(`${path} named no VIP within ${input.waitTimeoutSeconds} s`);
    if (!announced) log.info({ event: 'realserver.waiting', file: path }, 'no VIP allocated yet; waiting for the controller to fill in the tsvs.io/realserver annotation');
    announced = true;
    await delay(input.pollSeconds * 1000);
  }
}

export async function runRealServerInit(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const input = parseCommandInput('realserver-init', realServerInitInput, flags, argv, env);
  const log = createLogger('realserver-init');
  const config = input.configFile === undefined ? configFromFlags(input) : await waitForVips(input, input.configFile, log);
  await applyPodNetwork(config, log);
  log.info({ event: 'realserver.ready', vips: config.vips }, 'this pod is ready to serve direct-routing traffic');
}
