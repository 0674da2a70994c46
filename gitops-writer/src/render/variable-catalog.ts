/**
 * Every variable a template may use, with the scope it exists in. The catalog is
 * the contract with operators: `templates/README.md` documents each entry (a test
 * keeps the two in step), and a template that names anything else is rejected.
 */

/** Tenant variables exist everywhere; service ones in service templates; build ones in the build Job. */
export type VariableScope = 'tenant' | 'service' | 'build';

/**
 * A value filled into a template: a scalar, a list of strings (each one item, never
 * structure), or `null` to omit the key or item. An empty list omits too.
 */
export type TemplateValue = string | number | boolean | null | readonly string[];

export const VARIABLE_CATALOG = {
  namespace: 'tenant',
  project_name: 'tenant',
  project_id: 'tenant',
  user_hash: 'tenant',
  ingress_controller_namespace: 'tenant',
  limit_default_cpu: 'tenant',
  limit_default_memory: 'tenant',
  limit_default_request_cpu: 'tenant',
  limit_default_request_memory: 'tenant',
  quota_requests_cpu: 'tenant',
  quota_requests_memory: 'tenant',
  quota_limits_cpu: 'tenant',
  quota_limits_memory: 'tenant',
  quota_pods: 'tenant',
  quota_persistent_volume_claims: 'tenant',
  quota_requests_storage: 'tenant',
  dns_namespace: 'tenant',
  egress_denied_cidrs: 'tenant',
  egress_denied_ipv6_cidrs: 'tenant',
  build_egress_cidr: 'tenant',

  service_name: 'service',
  service_id: 'service',
  repo_url: 'service',
  branch: 'service',
  dockerfile_path: 'service',
  image: 'service',
  port: 'service',
  subdomain: 'service',
  host: 'service',
  env_secret_name: 'service',
  env_revision: 'service',
  restarted_at: 'service',
  replicas: 'service',
  cpu: 'service',
  memory: 'service',
  resources_enabled: 'service',
  health_check_path: 'service',
  storage_gb: 'service',
  storage_size: 'service',
  storage_enabled: 'service',
  storage_class: 'service',
  pvc_name: 'service',
  deployment_strategy: 'service',
  image_pull_secret: 'service',
  ingress_class_name: 'service',
  tls_enabled: 'service',
  tls_secret_name: 'service',

  build_job_name: 'build',
  commit_sha: 'build',
  source_url: 'build',
  git_image: 'build',
  build_destination: 'build',
  build_cache_repo: 'build',
  builder_image: 'build',
  build_deadline_seconds: 'build',
  git_token_secret_name: 'build',
  registry_secret_name: 'build',
} as const satisfies Record<string, VariableScope>;

export type VariableName = keyof typeof VARIABLE_CATALOG;

/** Variables of one scope, e.g. `Variables<'tenant'>`. */
export type Variables<S extends VariableScope> = {
  [K in VariableName as (typeof VARIABLE_CATALOG)[K] extends S ? K : never]: TemplateValue;
};

/** The names visible from a template of the given scope (build sees all three). */
export function variablesInScope(scope: VariableScope): Set<string> {
  const visible: Record<VariableScope, VariableScope[]> = {
    tenant: ['tenant'],
    service: ['tenant', 'service'],
    build: ['tenant', 'service', 'build'],
  };
  return new Set(
    Object.entries(VARIABLE_CATALOG)
      .filter(([, s]) => visible[scope].includes(s))
      .map(([name]) => name),
  );
}
