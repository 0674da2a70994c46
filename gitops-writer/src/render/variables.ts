/**
 * The values of the template variables, computed from validated input. Pure; the
 * names follow docs/architecture.md#names.
 */
import { DEFAULT_GIT_SOURCE_URL } from './input-schema.js';
import { addCpu, addMemory } from './quantity.js';
import { customDomainObjectName } from '@dangus/common';
import type { BuildInput, CustomDomainInput, RenderSettings, ServiceInput, TenantInput, TenantQuota } from './types.js';
import { configVariables, type Variables } from './variable-catalog.js';

/** Longest Kubernetes name that is also used as a label value (`job-name`). */
const LABEL_VALUE_MAX = 63;

export function tenantVariables(tenant: TenantInput, settings: RenderSettings): Variables<'tenant'> {
  const { limitRange, buildAllowance: allowance } = settings;
  const quota = tenantQuotaOf(settings, tenant.team === true);
  const denied = egressDenied(settings);
  return {
    namespace: tenant.namespace,
    project_name: tenant.project.name,
    project_id: tenant.project.id,
    user_hash: tenant.userHash,
    ingress_controller_namespace: settings.ingressControllerNamespace,
    limit_default_cpu: limitRange.defaultCpu,
    limit_default_memory: limitRange.defaultMemory,
    limit_default_request_cpu: limitRange.defaultRequestCpu,
    limit_default_request_memory: limitRange.defaultRequestMemory,
    // The apps' budget plus one build's allowance: a build never waits for the apps' room.
    quota_requests_cpu: addCpu(quota.requestsCpu, allowance.requestsCpu),
    quota_requests_memory: addMemory(quota.requestsMemory, allowance.requestsMemory),
    quota_limits_cpu: addCpu(quota.limitsCpu, allowance.limitsCpu),
    quota_limits_memory: addMemory(quota.limitsMemory, allowance.limitsMemory),
    quota_pods: String(quota.pods + 1),
    quota_persistent_volume_claims: String(quota.persistentVolumeClaims),
    quota_requests_storage: quota.requestsStorage,
    dns_namespace: settings.dnsNamespace,
    egress_denied_cidrs: denied.ipv4,
    egress_denied_ipv6_cidrs: denied.ipv6,
    build_egress_cidr: settings.buildEgressCidr,
    object_storage_egress_cidr: settings.objectStorageEgress?.cidr ?? null,
    object_storage_egress_port: settings.objectStorageEgress?.port ?? null,
  };
}

/**
 * The apps' budget of a tenant's ResourceQuota: a person's project's (`quota`), or a team's
 * (`teamQuota`, each value it gives in place of the person's).
 */
export function tenantQuotaOf(settings: Pick<RenderSettings, 'quota' | 'teamQuota'>, team: boolean): TenantQuota {
  return team && settings.teamQuota ? { ...settings.quota, ...definedOnly(settings.teamQuota) } : settings.quota;
}

function definedOnly<T extends object>(value: Partial<T>): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * What tenant pods may not reach: the denied CIDRs and every node address (as a /32 or
 * /128), by family, because a NetworkPolicy ipBlock's exceptions lie within its own
 * `0.0.0.0/0` or `::/0`. Without duplicates, in the order given.
 */
export function egressDenied(settings: Pick<RenderSettings, 'egressDeniedCidrs' | 'nodeAddresses'>): { ipv4: string[]; ipv6: string[] } {
  const hosts = settings.nodeAddresses.map((address) => `${address}/${address.includes(':') ? '128' : '32'}`);
  const all = [...new Set([...settings.egressDeniedCidrs, ...hosts])];
  return { ipv4: all.filter((cidr) => !cidr.includes(':')), ipv6: all.filter((cidr) => cidr.includes(':')) };
}

export function serviceVariables(
  tenant: TenantInput,
  service: ServiceInput,
  settings: RenderSettings,
): Variables<'service'> {
  const storage = service.storageGb !== null;
  return {
    // Every field of the configuration under its snake_case name (variable-catalog.ts).
    ...configVariables(service),
    service_name: service.name,
    service_id: service.id,
    image: service.image,
    subdomain: service.host,
    host: `${service.host}.${settings.baseDomain}`,
    env_secret_name: envSecretName(service.name),
    env_revision: service.envRevision,
    restarted_at: service.restartedAt,
    cpu: service.resources?.cpu ?? null,
    memory: service.resources?.memory ?? null,
    resources_enabled: service.resources !== null,
    storage_size: storage ? `${String(service.storageGb)}Gi` : null,
    storage_enabled: storage,
    storage_class: settings.storageClass,
    pvc_name: `${service.name}-data`,
    deployment_strategy: storage ? 'Recreate' : 'RollingUpdate',
    image_pull_secret: settings.imagePullSecret,
    ingress_class_name: settings.ingressClassName,
    tls_enabled: settings.tls.enabled,
    tls_secret_name: settings.tls.secretName,
    // HSTS only where the host is served over TLS (issue 34): a Traefik headers Middleware.
    hsts_enabled: service.hsts && settings.tls.enabled,
    hsts_name: `${service.name}-hsts`,
    hsts_middleware: service.hsts && settings.tls.enabled ? `${tenant.namespace}-${service.name}-hsts@kubernetescrd` : null,
    custom_domains_listed: customDomainsListed(service),
    custom_domains_name: `${service.name}-domains`,
    // A service is no preview (preview.ts sets these for one).
    preview_url: null,
    preview_number: null,
    preview_commit_sha: null,
    preview_build_arg_url: null,
    preview_build_arg_number: null,
    preview_build_arg_commit_sha: null,
  };
}

/** The service's custom domains and their states, one per line (`blog.example.org verified`), or null. */
function customDomainsListed(service: ServiceInput): string | null {
  const domains = service.domains ?? [];
  if (domains.length === 0) return null;
  return domains.map((d) => `${d.domain} ${d.status}${d.certificate ? ' certificate' : ''}\n`).join('');
}

/** The variables of one verified custom domain's template (custom-domain.yaml). */
export function domainVariables(
  tenant: TenantInput,
  domain: CustomDomainInput,
  settings: RenderSettings,
  service?: Pick<ServiceInput, 'hsts'>,
): Variables<'domain'> {
  const name = customDomainObjectName(domain.domain);
  const issuer = settings.certificates?.issuer ?? null;
  const certificate = domain.certificate && issuer !== null;
  const hsts = certificate && (service?.hsts ?? false);
  const redirect = certificate ? `${tenant.namespace}-${name}-https@kubernetescrd` : null;
  return {
    custom_domain: domain.domain,
    custom_domain_name: name,
    custom_domain_certificate: certificate,
    custom_domain_tls_secret_name: certificate ? `${name}-tls` : null,
    certificate_issuer: issuer,
    // Traefik's annotation names a Middleware `{namespace}-{name}@kubernetescrd`.
    https_redirect_middleware: certificate ? `${tenant.namespace}-${name}-https@kubernetescrd` : null,
    https_redirect_name: `${name}-https`,
    custom_domain_hsts: hsts,
    custom_domain_hsts_name: `${name}-hsts`,
    // Traefik's router.middlewares: the redirect, and the HSTS headers when the service wants them.
    custom_domain_middlewares: redirect === null ? null : hsts ? `${redirect},${tenant.namespace}-${name}-hsts@kubernetescrd` : redirect,
  };
}

export function buildVariables(
  tenant: TenantInput,
  service: ServiceInput,
  build: BuildInput,
  settings: RenderSettings,
): Variables<'build'> {
  const repository = imageRepository(settings, tenant.namespace, service.name);
  return {
    build_job_name: buildJobName(service.name, build.commitSha),
    commit_sha: build.commitSha,
    source_url: gitCloneUrl(service.repoUrl, settings.gitSourceUrl),
    git_image: settings.gitImage,
    build_destination: `${repository}:${build.commitSha}`,
    build_cache_repo: `${repository}/cache`,
    builder_image: settings.builderImage,
    build_deadline_seconds: settings.buildDeadlineSeconds,
    git_token_secret_name: build.gitTokenSecretName,
    registry_secret_name: build.registrySecretName,
  };
}

/** The Harbor project a tenant's images live in (see {@link RenderSettings.registryLayout}). */
export function tenantHarborProject(settings: Pick<RenderSettings, 'harborProject' | 'registryLayout'>, namespace: string): string {
  return settings.registryLayout === 'per-tenant' ? `${settings.harborProject}-${namespace}` : settings.harborProject;
}

/** The repository of a service's images, without tag or digest. */
export function imageRepository(
  settings: Pick<RenderSettings, 'harborHost' | 'harborProject' | 'registryLayout'>,
  namespace: string,
  serviceName: string,
): string {
  const project = tenantHarborProject(settings, namespace);
  return settings.registryLayout === 'per-tenant'
    ? `${settings.harborHost}/${project}/${serviceName}`
    : `${settings.harborHost}/${project}/${namespace}/${serviceName}`;
}

/** First seven hex digits of a commit, as in `build-{sha7}.yaml`. */
export function shortSha(commitSha: string): string {
  return commitSha.slice(0, 7);
}

/**
 * `{service}-build-{sha7}`, the service part shortened so the whole stays a valid
 * label value: the Job controller copies the Job name into the pods' `job-name` label.
 */
export function buildJobName(serviceName: string, commitSha: string): string {
  const suffix = `-build-${shortSha(commitSha)}`;
  const head = serviceName.slice(0, LABEL_VALUE_MAX - suffix.length).replace(/-+$/, '');
  return `${head}${suffix}`;
}

/**
 * The per-build Secret (git token + registry credentials) the build Job mounts: the
 * Job's own name, so each build has its own and removing one cannot touch another.
 * The api writes it under this name and the tenant loader hands it to the build Job.
 */
export function buildSecretName(serviceName: string, commitSha: string): string {
  return buildJobName(serviceName, commitSha);
}

/** The Secret the api writes a service's env values into, which its Deployment reads (`envFrom`). */
export function envSecretName(serviceName: string): string {
  return `${serviceName}-env`;
}

/**
 * The clone URL of a service's repository (`….git`): its path on `sourceUrl`, the
 * origin builds fetch from (GitHub itself by default).
 */
export function gitCloneUrl(repoUrl: string, sourceUrl = DEFAULT_GIT_SOURCE_URL): string {
  const path = new URL(repoUrl).pathname;
  return `${sourceUrl}${path.endsWith('.git') ? path : `${path}.git`}`;
}
