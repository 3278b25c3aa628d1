import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1LoadBalancerIngress,
} from '@kubernetes/client-node';
import { addressPoolResource, type AddressPoolStatus } from '../kube/addressPool.js';
import { virtualServerResource, type VirtualServer, type VirtualServerStatus } from '../kube/virtualServer.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const applyPatch = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);

/**
 * Field managers of VirtualServer status. Several writers share status.conditions; with
 * server-side apply each owns its own condition types (the list is a map keyed by type), so no
 * writer's stale cache can drop another's condition.
 */
export const statusFieldManagers = { allocation: 'tsvs-controller', realServerPods: 'tsvs-realserver-webhook' } as const;

/** Server-side apply of the status fields one manager owns; fields it owned before and leaves out are removed. */
export function applyVirtualServerStatus(custom: CustomObjectsApi, namespace: string, name: string, fieldManager: string, status: VirtualServerStatus) {
  const { group, version, plural, kind } = virtualServerResource;
  const body = { apiVersion: `${group}/${version}`, kind, metadata: { name, namespace }, status };
  return custom.patchNamespacedCustomObjectStatus({ group, version, plural, namespace, name, body, fieldManager, force: true }, applyPatch) as Promise<VirtualServer>;
}

/** An API error reduced to what a log line or a status message needs. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

function concise(err: unknown): unknown {
  const e = err as { code?: number; body?: unknown };
  if (typeof e.code !== 'number') return err;
  let status: { reason?: string; message?: string } = {};
  try {
    status = typeof e.body === 'string' ? JSON.parse(e.body) : ((e.body as typeof status) ?? {});
  } catch {
    status = { message: String(e.body) };
  }
  return new KubeApiError(e.code, status.reason ?? 'Unknown', `${e.code} ${status.reason ?? ''}: ${status.message ?? ''}`.trim());
}

function withConciseErrors<T extends Record<string, (...args: never[]) => Promise<unknown>>>(calls: T): T {
  return Object.fromEntries(
    Object.entries(calls).map(([name, call]) => [name, (...args: never[]) => call(...args).catch((err: unknown) => Promise.reject(concise(err)))]),
  ) as T;
}

/** The controller's writes to the API server: one call each, no reads. */
export function createKubeWriter(kc: KubeConfig) {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const vs = { group: virtualServerResource.group, version: virtualServerResource.version, plural: virtualServerResource.plural };
  const pools = { group: addressPoolResource.group, version: addressPoolResource.version, plural: addressPoolResource.plural };
  return withConciseErrors({
    createVirtualServer: (body: VirtualServer) =>
      custom.createNamespacedCustomObject({ ...vs, namespace: body.metadata.namespace!, body }) as Promise<VirtualServer>,
    patchVirtualServer: (namespace: string, name: string, body: object) =>
      custom.patchNamespacedCustomObject({ ...vs, namespace, name, body }, mergePatch) as Promise<VirtualServer>,
    applyVirtualServerStatus: (namespace: string, name: string, status: VirtualServerStatus) =>
      applyVirtualServerStatus(custom, namespace, name, statusFieldManagers.allocation, status),
    deleteVirtualServer: (namespace: string, name: string) => custom.deleteNamespacedCustomObject({ ...vs, namespace, name }),
    patchAddressPoolStatus: (name: string, status: AddressPoolStatus) =>
      custom.patchClusterCustomObjectStatus({ ...pools, name, body: { status } }, mergePatch),
    patchServiceFinalizers: (namespace: string, name: string, finalizers: string[], resourceVersion: string) =>
      core.patchNamespacedService({ namespace, name, body: { metadata: { finalizers, resourceVersion } } }, mergePatch),
    patchServiceIngress: (namespace: string, name: string, ingress: V1LoadBalancerIngress[]) =>
      core.patchNamespacedServiceStatus({ namespace, name, body: { status: { loadBalancer: { ingress } } } }, mergePatch),
  });
}

export type KubeWriter = ReturnType<typeof createKubeWriter>;

/** 404 on a delete or a patch of something already gone is success for a level-triggered loop. */
export function isNotFound(err: unknown): boolean {
  return (err as { code?: number }).code === 404;
}

/** 409 AlreadyExists on a create: our cache had not seen the object yet; its watch event brings the next pass. */
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 409 && err.reason === 'AlreadyExists';
}
