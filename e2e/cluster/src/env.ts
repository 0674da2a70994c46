// What a test needs to reach the cluster under test. The jest global setup
// (jest-global-setup.ts) fills these in before any test runs.
import { existsSync } from 'node:fs';

import { KubeConfig } from '@kubernetes/client-node';

import { HOW_TO_GET_A_CLUSTER } from './binaries.js';

/** Input: a kubeconfig of your own cluster; the harness then starts nothing. */
export const ENV_USER_KUBECONFIG = 'DANGUS_TEST_KUBECONFIG';
/** Output: the kubeconfig of the cluster the tests run against (set by the global setup). */
export const ENV_E2E_KUBECONFIG = 'DANGUS_E2E_KUBECONFIG';
/** Output: `kwok` for the harness's own control plane, `external` for DANGUS_TEST_KUBECONFIG. */
export const ENV_E2E_CLUSTER = 'DANGUS_E2E_CLUSTER';

export type ClusterKind = 'kwok' | 'external';

/** Path of the kubeconfig of the cluster under test; throws (never skips) when there is none. */
export function e2eKubeconfigPath(): string {
  const path = process.env[ENV_E2E_KUBECONFIG];
  if (!path) {
    throw new Error(
      `${ENV_E2E_KUBECONFIG} is not set: run the e2e tests through jest with e2e/jest.config.js ` +
        `(its global setup starts the cluster).\n${HOW_TO_GET_A_CLUSTER}`,
    );
  }
  if (!existsSync(path)) throw new Error(`${ENV_E2E_KUBECONFIG}=${path} does not exist`);
  return path;
}

/** A KubeConfig for the cluster under test. */
export function e2eKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(e2eKubeconfigPath());
  return kc;
}

/** Whether the cluster under test is the harness's (kwok nodes: the dangus.test/* markers work). */
export function e2eClusterKind(): ClusterKind {
  return process.env[ENV_E2E_CLUSTER] === 'external' ? 'external' : 'kwok';
}
