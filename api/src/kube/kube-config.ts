import type { KubeConfig } from '@kubernetes/client-node';

/**
 * The cluster this process talks to: KUBECONFIG when set, else the in-cluster
 * service account, else none (the embedded default without a cluster). The client
 * (@kubernetes/client-node, tens of MiB resident) is loaded only when there is a cluster.
 */
export async function loadKubeConfig(kubeconfig: string | undefined): Promise<KubeConfig | undefined> {
  if (!kubeconfig && !process.env.KUBERNETES_SERVICE_HOST) return undefined;
  const kube = new (await import('@kubernetes/client-node')).KubeConfig();
  if (kubeconfig) {
    kube.loadFromFile(kubeconfig);
  } else {
    kube.loadFromCluster();
  }
  return kube;
}
