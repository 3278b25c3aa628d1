import { z } from 'zod';
import { parseCommandInput, type FlagSpec } from '../commandInput.js';

const flags: Record<string, FlagSpec> = {
  'node-name': { type: 'string', description: "this node's name (from the downward API)", env: 'NODE_NAME' },
  kubeconfig: { type: 'string', description: 'kubeconfig file (default: in-cluster or ~/.kube/config)', env: 'KUBECONFIG' },
  interface: { type: 'string', description: 'the interface VRRP speaks on and VIPs are announced from', env: 'TSVS_INTERFACE' },
};

const speakerInput = z.object({
  nodeName: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a Kubernetes node name'),
  kubeconfig: z.string().min(1).optional(),
  interface: z.string().regex(/^[^\s/]{1,15}$/, 'must be a network interface name').optional(),
});

export async function runSpeaker(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  parseCommandInput('speaker', speakerInput, flags, argv, env);
  throw new Error('the speaker is not implemented in this version');
}
