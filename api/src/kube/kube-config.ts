import { KubeConfig } from '@kubernetes/client-node';

/**
 * The cluster this process talks to: KUBECONFIG when set, else the in-cluster
 * service account, else none (the embedded default without a cluster).
 */
export function loadKubeConfig(kubeconfig: string | undefined): KubeConfig | undefined {
  const kube = new KubeConfig();
  if (kubeconfig) {
    kube.loadFromFile(kubeconfig);
  } else if (process.env.KUBERNETES_SERVICE_HOST) {
    kube.loadFromCluster();
  } else {
    return undefined;
  }
  return kube;
}
