// Jest global setup of the e2e project: one cluster per test run. With DANGUS_TEST_KUBECONFIG
// set, that cluster is used instead and nothing is started. Tests read the outcome from
// DANGUS_E2E_KUBECONFIG / DANGUS_E2E_CLUSTER (see env.ts).
import { existsSync } from 'node:fs';

import { startCluster } from './cluster.js';
import type { Cluster } from './cluster.js';
import { ENV_E2E_CLUSTER, ENV_E2E_KUBECONFIG, ENV_USER_KUBECONFIG } from './env.js';

declare global {
  /** The cluster the setup started, for the teardown (jest runs both in one process). */
  var __dangusE2eCluster: Cluster | undefined;
}

export default async function globalSetup(): Promise<void> {
  const own = process.env[ENV_USER_KUBECONFIG];
  if (own) {
    if (!existsSync(own)) throw new Error(`${ENV_USER_KUBECONFIG}=${own}: no such file`);
    process.env[ENV_E2E_KUBECONFIG] = own;
    process.env[ENV_E2E_CLUSTER] = 'external';
    process.stderr.write(`\n[dangus-cluster] using the cluster of ${ENV_USER_KUBECONFIG}=${own}\n`);
    return;
  }
  process.stderr.write('\n');
  const cluster = await startCluster({
    nodes: Number(process.env.DANGUS_E2E_NODES ?? '1') || 1,
  });
  globalThis.__dangusE2eCluster = cluster;
  process.env[ENV_E2E_KUBECONFIG] = cluster.kubeconfigPath;
  process.env[ENV_E2E_CLUSTER] = 'kwok';
}
