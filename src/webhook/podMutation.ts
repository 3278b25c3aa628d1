import type { V1Container, V1Pod, V1Volume } from '@kubernetes/client-node';
import type { VirtualServer } from '../kube/virtualServer.js';
import {
  desiredRealServerConfig,
  formatRealServerConfig,
  injectLabel,
  realServerAnnotation,
  realServerConfigDir,
  realServerConfigFile,
  realServerContainerName,
  realServerVolumeName,
} from '../realserver/realServerConfig.js';

export interface InjectionSettings {
  /** The tsvs image, which runs `tsvs realserver-init`. */
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

export interface PodAdmissionContext {
  /** The VirtualServers whose real servers include this pod. */
  selectedBy: readonly VirtualServer[];
  /** The namespace's `pod-security.kubernetes.io/enforce` label, if any. */
  podSecurityEnforce: string | undefined;
}

export interface JsonPatchOperation {
  op: 'add' | 'replace';
  path: string;
  value: unknown;
}

export type PodAdmission =
  | { allowed: true; patch: JsonPatchOperation[]; warnings: string[] }
  | { allowed: false; code: number; message: string };

const pointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

export function realServerInitContainer(settings: InjectionSettings): V1Container {
  return {
    name: realServerContainerName,
    image: settings.image,
    ...(settings.imagePullPolicy && { imagePullPolicy: settings.imagePullPolicy }),
    args: ['realserver-init', '--config-file', `${realServerConfigDir}/${realServerConfigFile}`, '--wait'],
    // NET_ADMIN acts on the pod's own network namespace only; everything else is dropped.
    securityContext: {
      capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
      runAsUser: 0,
      runAsNonRoot: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
    },
    resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } },
    volumeMounts: [{ name: realServerVolumeName, mountPath: realServerConfigDir, readOnly: true }],
  };
}

/** The annotation as a file the kubelet keeps up to date, so the init container can wait on it. */
export function realServerVolume(): V1Volume {
  return {
    name: realServerVolumeName,
    downwardAPI: { items: [{ path: realServerConfigFile, fieldRef: { fieldPath: `metadata.annotations['${realServerAnnotation}']` } }] },
  };
}

const names = (vss: readonly VirtualServer[]) => vss.map((vs) => vs.metadata.name).join(', ');

/**
 * The webhook's decision on a pod being created: pure, so that every case is unit-tested. A pod
 * selected by no VirtualServer, or labelled out, is left untouched.
 */
export function admitPod(pod: V1Pod, context: PodAdmissionContext, settings: InjectionSettings): PodAdmission {
  const none: PodAdmission = { allowed: true, patch: [], warnings: [] };
  if (pod.metadata?.labels?.[injectLabel] === 'false' || context.selectedBy.length === 0) return none;
  const selected = `selected as a real server by VirtualServer ${names(context.selectedBy)}`;
  if (pod.spec?.hostNetwork) {
    return {
      allowed: false,
      code: 422,
      message: `tsvs: this pod is ${selected} but uses hostNetwork: the real-server init container would put the VIPs on the node's own lo and change the node's ARP settings. Run it without hostNetwork, or label it ${injectLabel}=false.`,
    };
  }
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const volumes = pod.spec?.volumes ?? [];
  if (containers.some((c) => c.name === realServerContainerName) || volumes.some((v) => v.name === realServerVolumeName)) {
    if (pod.metadata?.annotations?.[realServerAnnotation] !== undefined) return none;
    return {
      allowed: false,
      code: 422,
      message: `tsvs: this pod is ${selected}, but its container or volume named ${realServerContainerName} clashes with the one tsvs injects. Rename it, or label the pod ${injectLabel}=false.`,
    };
  }
  if (context.podSecurityEnforce === 'baseline' || context.podSecurityEnforce === 'restricted') {
    return {
      allowed: true,
      patch: [],
      warnings: [
        `tsvs: this pod is ${selected}, but namespace ${pod.metadata?.namespace} enforces Pod Security "${context.podSecurityEnforce}", which forbids the NET_ADMIN capability the real-server init container needs; it is created without it and tsvs keeps it out of the real servers (see the VirtualServer's RealServerPods condition)`,
      ],
    };
  }
  const patch: JsonPatchOperation[] = [];
  const config = formatRealServerConfig(desiredRealServerConfig(context.selectedBy));
  if (pod.metadata?.annotations) patch.push({ op: 'add', path: `/metadata/annotations/${pointer(realServerAnnotation)}`, value: config });
  else patch.push({ op: 'add', path: '/metadata/annotations', value: { [realServerAnnotation]: config } });
  // First of the init containers: the pod's own init containers may already need the VIP.
  if (pod.spec?.initContainers?.length) patch.push({ op: 'add', path: '/spec/initContainers/0', value: realServerInitContainer(settings) });
  else patch.push({ op: 'add', path: '/spec/initContainers', value: [realServerInitContainer(settings)] });
  if (pod.spec?.volumes) patch.push({ op: 'add', path: '/spec/volumes/-', value: realServerVolume() });
  else patch.push({ op: 'add', path: '/spec/volumes', value: [realServerVolume()] });
  return { allowed: true, patch, warnings: [] };
}
