import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { PodAdmission } from './podMutation.js';

export const mutatePodsPath = '/mutate-pods';
const maxBodyBytes = 4 * 1024 * 1024;

const admissionReviewSchema = z.object({
  apiVersion: z.literal('admission.k8s.io/v1'),
  kind: z.literal('AdmissionReview'),
  request: z.object({
    uid: z.string().min(1),
    kind: z.object({ group: z.string(), version: z.string(), kind: z.string() }),
    namespace: z.string().optional(),
    operation: z.string(),
    object: z.record(z.string(), z.unknown()).nullable().optional(),
  }),
});

export interface WebhookServerOptions {
  host: string;
  port: number;
  tls: { cert: string; key: string };
  /** Decides on one pod; the pod's namespace is filled in from the request. */
  admit: (pod: V1Pod) => PodAdmission;
  log: Logger;
}

export interface WebhookServer {
  port: number;
  /** Serves new connections with another certificate (rotation), without a restart. */
  setCertificate(tls: { cert: string; key: string }): void;
  close(): Promise<void>;
}

function respond(uid: string, admission: PodAdmission) {
  const response: Record<string, unknown> = { uid, allowed: admission.allowed };
  if (admission.allowed) {
    if (admission.patch.length > 0) {
      response.patchType = 'JSONPatch';
      response.patch = Buffer.from(JSON.stringify(admission.patch)).toString('base64');
    }
    if (admission.warnings.length > 0) response.warnings = admission.warnings;
  } else {
    response.status = { code: admission.code, message: admission.message };
  }
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}

/** The HTTPS endpoint the API server calls with AdmissionReviews (admission.k8s.io/v1). */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const { log } = options;
  const server: Server = createServer({ cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' }, (req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
      res.end(typeof body === 'string' ? `${body}\n` : JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.url?.split('?')[0] !== mutatePodsPath) return reply(404, 'not found');
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      let review: z.infer<typeof admissionReviewSchema>;
      try {
        review = admissionReviewSchema.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (err) {
        log.warn({ event: 'webhook.bad-request', err: err instanceof z.ZodError ? err.issues : String(err) }, 'refused a request that is not an AdmissionReview v1');
        return reply(400, 'expected an admission.k8s.io/v1 AdmissionReview');
      }
      const { uid, kind, namespace, operation, object } = review.request;
      if (kind.group !== '' || kind.kind !== 'Pod' || operation !== 'CREATE' || !object) {
        return reply(200, respond(uid, { allowed: true, patch: [], warnings: [] }));
      }
      const pod = object as V1Pod;
      pod.metadata = { ...pod.metadata, namespace: pod.metadata?.namespace ?? namespace };
      const admission = options.admit(pod);
      const name = pod.metadata.name ?? `${pod.metadata.generateName ?? ''}*`;
      if (!admission.allowed) log.info({ event: 'webhook.refused', namespace: pod.metadata.namespace, pod: name, reason: admission.message }, 'refused a pod');
      else if (admission.patch.length > 0 || admission.warnings.length > 0) {
        log.info({ event: 'webhook.mutated', namespace: pod.metadata.namespace, pod: name, warnings: admission.warnings }, 'real-server pod admitted');
      }
      reply(200, respond(uid, admission));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    setCertificate: (tls) => server.setSecureContext({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
