import type { KubeConfig } from '@kubernetes/client-node';
import { SettingError } from '../config/setting-error.js';

/**
 * The cluster this process talks to: KUBECONFIG when set, else the in-cluster
 * service account, else none (the embedded default without a cluster). The client
 * (@kubernetes/client-node, tens of MiB resident) is loaded only when there is a cluster.
 */
export async function loadKubeConfig(kubeconfig: string | undefined): Promise<KubeConfig | undefined> {
  if (!kubeconfig && !process.env.KUBERNETES_SERVICE_HOST) return undefined;
  const kube = new (await import('@kubernetes/client-node')).KubeConfig();
  if (kubeconfig) {
    const fix = "point KUBECONFIG at your cluster's kubeconfig file (k3s: /etc/rancher/k3s/k3s.yaml, readable by this user), or unset it to run without a cluster.";
    try {
      kube.loadFromFile(kubeconfig);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const what =
        code === 'ENOENT'
          ? 'does not exist'
          : code === 'EACCES' || code === 'EPERM'
            ? 'cannot be read by this user (permission denied)'
            : code === 'EISDIR'
              ? 'is a directory, not a file'
              : code !== undefined
                ? `cannot be read (${code})`
                : `is not a kubeconfig (${(error instanceof Error ? error.message : String(error)).split('\n')[0] ?? ''})`;
      throw new SettingError('KUBECONFIG', `${kubeconfig} ${what}: ${fix}`);
    }
    if (!kube.getCurrentCluster()) throw new SettingError('KUBECONFIG', `${kubeconfig} names no current cluster (current-context): ${fix}`);
  } else {
    kube.loadFromCluster();
  }
  return kube;
}
