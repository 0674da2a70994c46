// The e2e cluster harness: a real control plane (etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler) with kwok nodes. See ../README.md.
export { startCluster, stopFromState } from './cluster.js';
export type { Cluster, ClusterOptions, ClusterState, ComponentInfo } from './cluster.js';
export { binaryCacheDir, ensureBinaries, pinnedVersions, HOW_TO_GET_A_CLUSTER } from './binaries.js';
export {
  MARKER_CRASH_LOOP, MARKER_EXIT_CODE, MARKER_FAIL, MARKER_IMAGE_PULL, MARKER_LOG, MARKER_LOG_INTERVAL, MARKER_RUN_DURATION,
} from './kwok-config.js';
export { createServingCert } from './pki.js';
export {
  ENV_E2E_CLUSTER, ENV_E2E_KUBECONFIG, ENV_USER_KUBECONFIG, e2eClusterKind, e2eKubeConfig, e2eKubeconfigPath,
} from './env.js';
export type { ClusterKind } from './env.js';
