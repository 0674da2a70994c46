import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { ClusterFacts } from './summary.js';

/**
 * Tenants share one registry credential when no Harbor admin account is set; said once at
 * start-up where builds can push at all, i.e. where a registry is configured. On a laptop
 * without any registry setting there is nothing to warn about.
 */
export function warnAtStart(logger: Logger, config: Pick<Config, 'role' | 'harborAdmin' | 'registryConfigured'>): void {
  if (config.harborAdmin === null && config.registryConfigured && config.role !== 'controller') {
    logger.warn(
      { registry: 'shared' },
      'builds share one registry credential: tenants are not isolated (set HARBOR_ADMIN_USERNAME and HARBOR_ADMIN_PASSWORD for a Harbor project and robot per tenant)',
    );
  }
}

/** What the start-up line says of the cluster (its kubeconfig's current context and server). */
export function clusterFacts(kube: KubeConfig | undefined, kubeconfig: string | undefined): ClusterFacts | undefined {
  if (!kube) return undefined;
  return { source: kubeconfig ? 'KUBECONFIG' : 'in-cluster', context: kube.getCurrentContext() || undefined, server: kube.getCurrentCluster()?.server };
}
