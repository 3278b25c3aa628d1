import { KubeConfig } from '@kubernetes/client-node';

/** An explicit kubeconfig file wins; otherwise $KUBECONFIG, ~/.kube/config or the in-cluster service account. */
export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else kc.loadFromDefault();
  return kc;
}
