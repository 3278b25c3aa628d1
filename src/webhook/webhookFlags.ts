import { z } from 'zod';
import { listenAddress, UsageError, type FlagSpec } from '../commandInput.js';
import type { SecretRef } from './certificateSecret.js';
import type { RealServerWebhookOptions } from './realServerWebhook.js';
import type { WebhookEndpoint } from './webhookConfiguration.js';

/** The controller's webhook flags; the webhook runs only when --webhook-address is given. */
export const webhookFlags: Record<string, FlagSpec> = {
  'webhook-address': { type: 'string', description: 'HOST:PORT of the real-server pod webhook (HTTPS); unset: no webhook', env: 'TSVS_WEBHOOK_ADDRESS' },
  'webhook-service': { type: 'string', description: 'NAMESPACE/NAME[:PORT] of the Service the API server calls the webhook through (default port 443)', env: 'TSVS_WEBHOOK_SERVICE' },
  'webhook-url': { type: 'string', description: 'https:// URL the API server calls instead of a Service (a controller outside the cluster, tests)', env: 'TSVS_WEBHOOK_URL' },
  'webhook-cert-secret': { type: 'string', description: 'NAMESPACE/NAME of the Secret holding the webhook CA and certificate (default tsvs-system/tsvs-webhook-cert)', env: 'TSVS_WEBHOOK_CERT_SECRET' },
  'webhook-configuration': { type: 'string', description: 'name of the MutatingWebhookConfiguration tsvs owns (default tsvs-realserver-pods)', env: 'TSVS_WEBHOOK_CONFIGURATION' },
  'realserver-image': { type: 'string', description: 'image of the injected real-server init container (the tsvs image)', env: 'TSVS_IMAGE' },
};

const name = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const namespacedName = (what: string) =>
  z
    .string()
    .regex(new RegExp(`^${name}/${name}$`), `must be NAMESPACE/NAME of a ${what}`)
    .transform((s): SecretRef => ({ namespace: s.split('/')[0]!, name: s.split('/')[1]! }));

export const webhookInput = {
  webhookAddress: listenAddress().optional(),
  webhookService: z
    .string()
    .regex(new RegExp(`^${name}/${name}(:\\d{1,5})?$`), 'must be NAMESPACE/NAME[:PORT]')
    .transform((s) => {
      const [ref = '', port = '443'] = s.split(':');
      return { namespace: ref.split('/')[0]!, name: ref.split('/')[1]!, port: Number(port) };
    })
    .optional(),
  webhookUrl: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).optional(),
  webhookCertSecret: namespacedName('Secret').default({ namespace: 'tsvs-system', name: 'tsvs-webhook-cert' }),
  webhookConfiguration: z.string().regex(new RegExp(`^${name}$`), 'must be an object name').default('tsvs-realserver-pods'),
  realserverImage: z.string().min(1).optional(),
};

type WebhookInput = z.infer<z.ZodObject<typeof webhookInput>>;

/** The webhook's options from the flags, or a usage error naming what is missing. */
export function webhookOptions(input: WebhookInput): Omit<RealServerWebhookOptions, 'isLeader'> {
  const address = input.webhookAddress!;
  if ((input.webhookUrl === undefined) === (input.webhookService === undefined)) {
    throw new UsageError('tsvs controller: --webhook-address needs exactly one of --webhook-service or --webhook-url');
  }
  if (!input.realserverImage) throw new UsageError('tsvs controller: --webhook-address needs --realserver-image ($TSVS_IMAGE)');
  let endpoint: WebhookEndpoint;
  let hosts: string[];
  if (input.webhookUrl !== undefined) {
    endpoint = { url: input.webhookUrl };
    hosts = [new URL(input.webhookUrl).hostname.replace(/^\[|\]$/g, '')];
  } else {
    const service = input.webhookService!;
    endpoint = { service };
    hosts = [`${service.name}.${service.namespace}.svc`, `${service.name}.${service.namespace}.svc.cluster.local`];
  }
  return {
    ...address,
    endpoint,
    hosts,
    certificateSecret: input.webhookCertSecret,
    configurationName: input.webhookConfiguration,
    injection: { image: input.realserverImage },
  };
}
