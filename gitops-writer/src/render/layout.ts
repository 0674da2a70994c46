/** Paths of the state repo (docs/architecture.md#the-state-repo). */

export const KUSTOMIZATION_FILE = 'kustomization.yaml';
export const TENANTS_DIR = 'tenants';

/** `tenants/{namespace}`: everything of one tenant lives below it. */
export function tenantDir(namespace: string): string {
  return `${TENANTS_DIR}/${namespace}`;
}

/** `tenants/{namespace}/{file}` or, with a service, `tenants/{namespace}/{service}/{file}`. */
export function tenantPath(namespace: string, file: string, service?: string): string {
  return service === undefined ? `${tenantDir(namespace)}/${file}` : `${tenantDir(namespace)}/${service}/${file}`;
}

export const FLUX_DIR = 'flux';

/** `flux/{namespace}.yaml`: the tenant's Flux Kustomization (see kustomization.ts). */
export function fluxPath(namespace: string): string {
  return `${FLUX_DIR}/${namespace}.yaml`;
}
