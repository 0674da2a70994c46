import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, PROJECT_LABEL } from './labels.js';
import { tenantDir } from './layout.js';
import { toYamlStream } from './serialize.js';
import type { RenderSettings } from './types.js';

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

/**
 * `flux/{namespace}.yaml`: one Flux Kustomization per tenant, applying
 * `tenants/{namespace}` from the state repo's GitRepository, so one tenant's refused
 * object fails only that tenant. It prunes what left the directory, and its own
 * deletion (the tenant left `flux/`) prunes the tenant. `force: false`: an immutable
 * field is reported, never deleted and re-created, as the built-in applier does.
 */
export function fluxKustomizationYaml(namespace: string, projectId: string, flux: RenderSettings['flux']): string {
  return toYamlStream([
    {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: {
        name: namespace,
        namespace: flux.namespace,
        labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [PROJECT_LABEL]: projectId },
      },
      spec: {
        interval: '10m',
        retryInterval: '1m',
        timeout: '2m',
        sourceRef: { kind: 'GitRepository', name: flux.source },
        path: `./${tenantDir(namespace)}`,
        prune: true,
        force: false,
        wait: false,
      },
    },
  ]);
}

/** `flux/kustomization.yaml`: one entry per tenant's Flux Kustomization. */
export function fluxIndexYaml(namespaces: readonly string[]): string {
  return kustomizationYaml(namespaces.map((namespace) => `${namespace}.yaml`));
}
