import { toYamlStream } from './serialize.js';

/**
 * A `kustomization.yaml` listing `resources` (files or directories), sorted: every
 * directory of the repo has one, so `kubectl kustomize`, Flux and Argo CD read it.
 */
export function kustomizationYaml(resources: readonly string[]): string {
  const sorted = [...resources].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return toYamlStream([
    { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: sorted },
  ]);
}

/** The root `kustomization.yaml`: one entry per tenant directory. */
export function rootKustomizationYaml(namespaces: readonly string[]): string {
  return kustomizationYaml(namespaces.map((namespace) => `tenants/${namespace}`));
}
