import { request, type RequestOptions } from 'node:https';
import { KubernetesObjectApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';

/** KubernetesObjectApi knows, by discovery, the REST path of any kind the server serves. */
class ObjectPaths extends KubernetesObjectApi {
  path(object: KubernetesObject): Promise<string> {
    return this.specUriPath(structuredClone(object), 'patch');
  }
}

export interface ApplyResult {
  status: number;
  /** The Status message of a refusal. */
  message?: string;
  object?: KubernetesObject;
}

/**
 * Server-side apply of one object. With dryRun the server runs validation,
 * defaulting and admission and persists nothing; fieldValidation=Strict makes
 * an unknown or duplicated field an error rather than a dropped field.
 */
export async function serverSideApply(kc: KubeConfig, object: KubernetesObject, options: { dryRun: boolean; fieldManager: string }): Promise<ApplyResult> {
  const path = await kc.makeApiClient(ObjectPaths).path(object);
  const query = new URLSearchParams({ fieldManager: options.fieldManager, force: 'true', fieldValidation: 'Strict' });
  if (options.dryRun) query.set('dryRun', 'All');
  const url = new URL(`${kc.getCurrentCluster()!.server}${path}?${query}`);
  const requestOptions: RequestOptions = { method: 'PATCH', headers: { 'content-type': 'application/apply-patch+yaml', accept: 'application/json' } };
  await kc.applyToHTTPSOptions(requestOptions);
  const body = JSON.stringify(object);
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(url, requestOptions, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
  const parsed = JSON.parse(text) as KubernetesObject & { message?: string };
  return status < 300 ? { status, object: parsed } : { status, message: parsed.message ?? text };
}
