import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin kubeconfig of the real kube-apiserver started by globalSetup. */
    kubeconfigPath: string;
  }
}
