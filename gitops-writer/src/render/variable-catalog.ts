/**
 * Every variable a template may use, with the scope it exists in. The catalog is
 * the contract with operators: `templates/README.md` documents each entry (a test
 * keeps the two in step), and a template that names anything else is rejected.
 */

import { SERVICE_CONFIG_FIELDS, type ServiceConfig, type ServiceConfigField } from '@dangus/common';

/**
 * Tenant variables exist everywhere; service ones in service templates; build ones in the
 * build Job; domain ones in the template rendered once per verified custom domain.
 */
export type VariableScope = 'tenant' | 'service' | 'build' | 'domain';

/**
 * A value filled into a template: a scalar, a list of strings (each one item, never
 * structure), or `null` to omit the key or item. An empty list omits too.
 */
export type TemplateValue = string | number | boolean | null | readonly string[];

/** `dockerfilePath` → `dockerfile_path`, at the type level. */
type SnakeCase<S extends string> = S extends `${infer H}${infer T}`
  ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${SnakeCase<T>}`
  : S;

/** `dockerfilePath` → `dockerfile_path`: the variable of a configuration field. */
export function variableOf<F extends string>(field: F): SnakeCase<F> {
  return field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`) as SnakeCase<F>;
}

/**
 * Configuration fields a template reads in another form: the name as `service_name`, the
 * size as `cpu` and `memory` (what it names).
 */
const READ_OTHERWISE = ['name', 'size'] as const satisfies readonly ServiceConfigField[];

/** Fields of a service's configuration (`serviceConfigSchema`) a template reads as they are. */
export type ConfigVariableField = Exclude<ServiceConfigField, (typeof READ_OTHERWISE)[number]>;
export const CONFIG_VARIABLE_FIELDS = SERVICE_CONFIG_FIELDS.filter(
  (field): field is ConfigVariableField => !(READ_OTHERWISE as readonly string[]).includes(field),
);

// Each one is a value a template can hold (a field of another type does not compile).
true satisfies ServiceConfig[ConfigVariableField] extends TemplateValue ? true : never;

/**
 * Every field of a service's configuration is a service variable of its snake_case name
 * (`repo_url`, `branch`, `dockerfile_path`, `port`, `storage_gb`, `health_check_path`,
 * `replicas`): a new field of the schema reaches the templates with no change here.
 */
const CONFIG_VARIABLES = Object.fromEntries(CONFIG_VARIABLE_FIELDS.map((field) => [variableOf(field), 'service'])) as Record<
  SnakeCase<ConfigVariableField>,
  'service'
>;

/** The configuration variables' values: each field of `service` under its variable. */
export function configVariables(service: Pick<ServiceConfig, ConfigVariableField>): Record<SnakeCase<ConfigVariableField>, TemplateValue> {
  return Object.fromEntries(CONFIG_VARIABLE_FIELDS.map((field) => [variableOf(field), service[field]])) as Record<
    SnakeCase<ConfigVariableField>,
    TemplateValue
  >;
}

/** The variables the renderer computes (the configuration's own are added below). */
const COMPUTED_VARIABLES = {
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
  object_storage_egress_cidr: 'tenant',
  object_storage_egress_port: 'tenant',

  service_name: 'service',
  service_id: 'service',
  image: 'service',
  subdomain: 'service',
  host: 'service',
  env_secret_name: 'service',
  env_revision: 'service',
  restarted_at: 'service',
  cpu: 'service',
  memory: 'service',
  resources_enabled: 'service',
  storage_size: 'service',
  storage_enabled: 'service',
  storage_class: 'service',
  pvc_name: 'service',
  deployment_strategy: 'service',
  image_pull_secret: 'service',
  ingress_class_name: 'service',
  tls_enabled: 'service',
  tls_secret_name: 'service',
  hsts_enabled: 'service',
  hsts_name: 'service',
  hsts_middleware: 'service',
  custom_domains_listed: 'service',
  custom_domains_name: 'service',
  preview_url: 'service',
  preview_number: 'service',
  preview_commit_sha: 'service',
  preview_build_arg_url: 'service',
  preview_build_arg_number: 'service',
  preview_build_arg_commit_sha: 'service',

  custom_domain: 'domain',
  custom_domain_name: 'domain',
  custom_domain_certificate: 'domain',
  custom_domain_tls_secret_name: 'domain',
  certificate_issuer: 'domain',
  https_redirect_middleware: 'domain',
  https_redirect_name: 'domain',
  custom_domain_hsts: 'domain',
  custom_domain_hsts_name: 'domain',
  custom_domain_middlewares: 'domain',

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

// A configuration field never takes the name of a computed variable (it would hide it).
true satisfies Extract<keyof typeof COMPUTED_VARIABLES, SnakeCase<ConfigVariableField>> extends never ? true : never;

export const VARIABLE_CATALOG = { ...COMPUTED_VARIABLES, ...CONFIG_VARIABLES };

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
    domain: ['tenant', 'service', 'domain'],
  };
  return new Set(
    Object.entries(VARIABLE_CATALOG)
      .filter(([, s]) => visible[scope].includes(s))
      .map(([name]) => name),
  );
}
