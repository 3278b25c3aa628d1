import { isIP } from 'node:net';
import { z } from 'zod';
import { parseCommandInput, type FlagSpec } from '../commandInput.js';

const flags: Record<string, FlagSpec> = {
  vips: { type: 'string', description: 'comma-separated VIPs to put on lo', env: 'TSVS_VIPS' },
};

const realServerInitInput = z.object({
  vips: z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))
    .pipe(z.array(z.string().refine((ip) => isIP(ip) !== 0, { error: (i) => `'${String(i.input)}' is not an IP address` })).min(1)),
});

export async function runRealServerInit(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  parseCommandInput('realserver-init', realServerInitInput, flags, argv, env);
  throw new Error('realserver-init is not implemented in this version');
}
