import { Applier, type ApplierStatus } from '@dangus/applier';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';

/**
 * The applier inside the api process (docs/architecture.md#running-it: the embedded
 * default applies to KUBECONFIG, or to the in-cluster config, when there is
 * one). In a production install it runs as its own Deployment instead.
 */
export function startInProcessApplier(options: { kube: KubeConfig; stateRepoDir: string; logger: Logger }): Applier {
  const applier = new Applier({ kube: options.kube, source: options.stateRepoDir, logger: options.logger.child({ component: 'applier' }) });
  applier.start();
  return applier;
}

export type { ApplierStatus };
