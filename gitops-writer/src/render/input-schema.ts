/**
 * zod schemas of the render input. A service's configuration is the api's own
 * schema (`serviceConfigSchema` of `@dangus/common`), so the renderer accepts exactly
 * what the api accepts and a new field reaches it with no change here; values the api
 * computes (image, env revision, ids) get schemas here.
 */
import {
  HARBOR_PROJECT_PATTERN,
  OCI_PATH_COMPONENT,
  USER_HASH_PATTERN,
  namespaceFor,
  projectNameSchema,
  serviceConfigSchema,
  uuidSchema,
} from '@dangus/common';
import { z } from 'zod';
import type { BuildInput, PreviewInput, RenderSettings, ResolvedByTheLoader, ServiceInput, TenantInput, TenantQuota } from './types.js';

const DNS_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';

/** A DNS-1123 subdomain: names of Secrets, StorageClasses, IngressClasses. */
export const dnsSubdomainSchema = z
  .string()
  .max(253)
  .regex(new RegExp(`^${DNS_LABEL}(\\.${DNS_LABEL})*$`), 'Not a DNS-1123 subdomain.');

/** A DNS-1123 label: namespace names. */
export const dnsLabelSchema = z
  .string()
  .max(63)
  .regex(new RegExp(`^${DNS_LABEL}$`), 'Not a DNS-1123 label.');

/** A registry host with an optional port. */
export const registryHostSchema = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?$/, 'Use host or host:port.');

/**
 * An image reference `host[:port]/path[:tag][@sha256:digest]`: the OCI
 * distribution grammar's path components (OCI_PATH_COMPONENT), so any repository a
 * registry accepts renders.
 */
export const imageReferenceSchema = z
  .string()
  .max(512)
  .regex(
    new RegExp(
      `^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?(/${OCI_PATH_COMPONENT})+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$`,
    ),
    'Not an image reference.',
  );

/** A Kubernetes quantity in the plain forms an operator writes (`500m`, `2`, `4Gi`). */
export const quantitySchema = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/, 'Not a Kubernetes quantity.');

/** The apps' budget of a tenant's ResourceQuota (a person's, or with TEAM_NAMESPACE_QUOTA a team's). */
export const tenantQuotaSchema = z.object({
  requestsCpu: quantitySchema,
  requestsMemory: quantitySchema,
  limitsCpu: quantitySchema,
  limitsMemory: quantitySchema,
  pods: z.number().int().min(1).max(100_000),
  persistentVolumeClaims: z.number().int().min(0).max(100_000),
  requestsStorage: quantitySchema,
}) satisfies z.ZodType<TenantQuota>;

/** A git commit id: SHA-1 (40) or SHA-256 (64) hex digits. */
export const commitShaSchema = z.string().regex(/^([0-9a-f]{40}|[0-9a-f]{64})$/, 'Not a commit id.');

/** The env revision: an HMAC the api encodes as hex or base64, optionally prefixed (`hmac-sha256:`). */
export const envRevisionSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9+/=_:.-]+$/, 'Not an encoded HMAC.');

/** IPv4 (`10.0.0.0/8`) or IPv6 (`fc00::/7`) CIDR, as NetworkPolicy ipBlocks take them. */
export const cidrSchema = z
  .string()
  .refine((value) => {
    const [address = '', bits, ...rest] = value.split('/');
    if (rest.length > 0 || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
    const v4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(address);
    const v6 = !v4 && /^[0-9a-fA-F:]+$/.test(address) && address.includes(':');
    return (v4 && Number(bits) <= 32) || (v6 && Number(bits) <= 128);
  }, 'Not a CIDR such as 10.0.0.0/8.');

/** An IPv4 or IPv6 address, as a Node's status.addresses give them. */
export const ipAddressSchema = z.union([z.ipv4(), z.ipv6()]);

/** The image of the build's source fetch (an init container): git and a POSIX shell. */
export const DEFAULT_GIT_IMAGE = 'alpine/git:v2.49.1';

/** Where builds fetch sources from by default. */
export const DEFAULT_GIT_SOURCE_URL = 'https://github.com';

/**
 * What tenant pods may not reach by default: every private (RFC 1918), shared
 * (RFC 6598), loopback and link-local range, and their IPv6 equivalents (unique local
 * fc00::/7, link-local fe80::/10, loopback ::1). That is the cluster's pods, Services
 * and nodes on k3s (10.42/16, 10.43/16, fd00:42::/56, the LAN) and cloud metadata:
 * 169.254.169.254, AWS's IPv6 fd00:ec2::254 (within fc00::/7, listed to be explicit)
 * and Azure's wire server 168.63.129.16, a public address. The nodes' own addresses
 * are added to these (RenderSettings.nodeAddresses).
 */
export const DEFAULT_EGRESS_DENIED_CIDRS = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '169.254.0.0/16',
  '127.0.0.0/8',
  '168.63.129.16/32',
  'fc00::/7',
  'fe80::/10',
  '::1/128',
  'fd00:ec2::254/128',
] as const;

export const renderSettingsSchema = z.object({
  baseDomain: dnsSubdomainSchema,
  certificates: z
    .object({ issuer: dnsSubdomainSchema.nullable().default(null), dns01Issuer: dnsSubdomainSchema.nullable().default(null) })
    .default({ issuer: null, dns01Issuer: null }),
  harborHost: registryHostSchema,
  harborProject: z
    .string()
    .max(255)
    .regex(HARBOR_PROJECT_PATTERN, 'Not a Harbor project name.'),
  registryLayout: z.enum(['shared', 'per-tenant']).default('shared'),
  storageClass: dnsSubdomainSchema.nullable().default(null),
  ingressClassName: dnsSubdomainSchema.nullable().default('traefik'),
  tls: z
    .object({ enabled: z.boolean(), secretName: dnsSubdomainSchema.nullable().default(null) })
    .default({ enabled: false, secretName: null }),
  imagePullSecret: dnsSubdomainSchema.nullable().default(null),
  builderImage: imageReferenceSchema.default('gcr.io/kaniko-project/executor:v1.23.2'),
  buildDeadlineSeconds: z.number().int().min(10).max(86_400).default(1800),
  ingressControllerNamespace: dnsLabelSchema.default('kube-system'),
  gitImage: imageReferenceSchema.default(DEFAULT_GIT_IMAGE),
  /**
   * Where builds fetch sources: GitHub's origin, or a mirror of it serving the same
   * `/{owner}/{repo}.git` paths with the same token check. An origin only: no path.
   */
  gitSourceUrl: z
    .string()
    .max(200)
    .regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/, 'Not an http(s) origin such as https://github.com.')
    .default(DEFAULT_GIT_SOURCE_URL),
  dnsNamespace: dnsLabelSchema.default('kube-system'),
  egressDeniedCidrs: z.array(cidrSchema).max(64).default([...DEFAULT_EGRESS_DENIED_CIDRS]),
  nodeAddresses: z.array(ipAddressSchema).max(1024).default([]),
  buildEgressCidr: cidrSchema.nullable().default(null),
  objectStorageEgress: z.object({ cidr: cidrSchema, port: z.number().int().min(1).max(65_535) }).nullable().default(null),
  limitRange: z
    .object({
      defaultCpu: quantitySchema,
      defaultMemory: quantitySchema,
      defaultRequestCpu: quantitySchema,
      defaultRequestMemory: quantitySchema,
    })
    .default({
      defaultCpu: '500m',
      defaultMemory: '512Mi',
      defaultRequestCpu: '50m',
      defaultRequestMemory: '64Mi',
    }),
  quota: tenantQuotaSchema.default({
    requestsCpu: '2',
    requestsMemory: '4Gi',
    limitsCpu: '4',
    limitsMemory: '8Gi',
    pods: 20,
    persistentVolumeClaims: 10,
    requestsStorage: '50Gi',
  }),
  // A team's projects' quota (issue 36): each value given replaces the person's.
  teamQuota: tenantQuotaSchema.partial().strict().nullable().default(null),
  // What templates/build-job.yaml gives Kaniko (its init container asks for less).
  buildAllowance: z
    .object({ requestsCpu: quantitySchema, requestsMemory: quantitySchema, limitsCpu: quantitySchema, limitsMemory: quantitySchema })
    .default({ requestsCpu: '250m', requestsMemory: '512Mi', limitsCpu: '2', limitsMemory: '2Gi' }),
  flux: z
    .object({ namespace: dnsLabelSchema, source: dnsSubdomainSchema })
    .default({ namespace: 'flux-system', source: 'dangus-state' }),
}) satisfies z.ZodType<RenderSettings>;

export const buildInputSchema = z.object({
  deploymentId: uuidSchema,
  commitSha: commitShaSchema,
  gitTokenSecretName: dnsSubdomainSchema,
  registrySecretName: dnsSubdomainSchema,
}) satisfies z.ZodType<BuildInput>;

export const previewInputSchema = z.object({
  id: uuidSchema,
  number: z.number().int().positive().max(2_147_483_647),
  host: dnsLabelSchema,
  commitSha: commitShaSchema,
  image: imageReferenceSchema.nullable(),
  build: buildInputSchema.nullable(),
}) satisfies z.ZodType<PreviewInput>;

export const serviceInputSchema = z.object({
  // The size reaches the renderer resolved, as `resources`.
  ...serviceConfigSchema.omit({ size: true } satisfies Record<ResolvedByTheLoader, true>).shape,
  id: uuidSchema,
  host: dnsLabelSchema,
  envRevision: envRevisionSchema,
  restartedAt: z.iso.datetime({ offset: true }).nullable(),
  resources: z.object({ cpu: quantitySchema, memory: quantitySchema }).nullable(),
  image: imageReferenceSchema.nullable(),
  currentDeploymentId: uuidSchema.nullable(),
  build: buildInputSchema.nullable(),
  domains: z
    .array(
      z.object({
        domain: dnsSubdomainSchema.refine((domain) => domain.includes('.'), 'A custom domain has at least two labels.'),
        status: z.enum(['pending', 'verified']),
        certificate: z.boolean(),
      }),
    )
    .max(5)
    .default([]),
  previews: z.array(previewInputSchema).default([]),
}) satisfies z.ZodType<ServiceInput>;

// The schema and the type name the same fields (a field in one only fails to compile).
type Parsed = keyof z.infer<typeof serviceInputSchema>;
type SameKeys<A, B> = [Exclude<A, B> | Exclude<B, A>] extends [never] ? true : never;
true satisfies SameKeys<Parsed, keyof ServiceInput>;

export const tenantInputSchema = z
  .object({
    project: z.object({ id: uuidSchema, name: projectNameSchema }),
    userHash: z.string().regex(USER_HASH_PATTERN, 'Six characters of [a-z0-9].'),
    namespace: dnsLabelSchema,
    team: z.boolean().optional(),
    services: z.array(serviceInputSchema),
  })
  .superRefine((tenant, ctx) => {
    if (tenant.namespace !== namespaceFor(tenant.userHash, tenant.project.name)) {
      ctx.addIssue({ code: 'custom', path: ['namespace'], message: 'Must be {userHash}-{project name}.' });
    }
    const seen = new Set<string>();
    tenant.services.forEach((service, index) => {
      if (seen.has(service.name)) {
        ctx.addIssue({ code: 'custom', path: ['services', index, 'name'], message: 'Duplicate service name.' });
      }
      seen.add(service.name);
    });
    duplicateHosts([tenant], ctx, (index) => ['services', index, 'host']);
  }) satisfies z.ZodType<TenantInput>;

/** Two services of one host would share an address: refused, wherever they are. */
function duplicateHosts(tenants: TenantInput[], ctx: z.RefinementCtx, path: (service: number, tenant: number) => (string | number)[]): void {
  const seen = new Set<string>();
  tenants.forEach((tenant, t) =>
    tenant.services.forEach((service, index) => {
      for (const host of [service.host, ...(service.previews ?? []).map((preview) => preview.host)]) {
        if (seen.has(host)) ctx.addIssue({ code: 'custom', path: path(index, t), message: 'Duplicate host.' });
        seen.add(host);
      }
    }),
  );
}

export const tenantsSchema = z.array(tenantInputSchema).superRefine((tenants, ctx) => {
  const seen = new Set<string>();
  tenants.forEach((tenant, index) => {
    if (seen.has(tenant.namespace)) {
      ctx.addIssue({ code: 'custom', path: [index, 'namespace'], message: 'Duplicate namespace.' });
    }
    seen.add(tenant.namespace);
  });
  duplicateHosts(tenants, ctx, (service, tenant) => [tenant, 'services', service, 'host']);
});
