import type { RenderSettings } from '@dangus/gitops-writer';
import type { ServiceSizeDto, UserLimitsDto } from '@dangus/common';
import { objectStorageEgress, objectStorageSettings, type ObjectStorageSettings } from './object-storage.js';
import { placeholderProblems } from './placeholders.js';
import { crossFieldProblems, envSchema, LOOPBACK_HOSTS, type RawEnv } from './schema.js';

/**
 * Every setting of the platform as the code uses it, derived once at start-up from the
 * environment that schema.ts parses and checks.
 */
export interface Config {
  nodeEnv: RawEnv['NODE_ENV'];
  host: string;
  port: number;
  /** The platform's own origin, e.g. `http://127.0.0.1:3000`: the Origin check compares with it. */
  publicUrl: string;
  secureCookies: boolean;
  logLevel: RawEnv['LOG_LEVEL'];
  /** LOG_FORMAT; undefined: `pretty` when stdout is a terminal, else `json` (startup/logging.ts). */
  logFormat: RawEnv['LOG_FORMAT'];
  /** Undefined in the embedded default: the api then starts PostgreSQL itself. */
  databaseUrl: string | undefined;
  dataDir: string;
  github: {
    oauth: { clientId: string; clientSecret: string } | undefined;
    /** A GitHub App from the environment (GITHUB_APP_*); else one made by the manifest flow, in the database. */
    app: GitHubAppSettings | undefined;
    callbackUrl: string;
    webUrl: string;
    apiUrl: string;
  };
  /** Local sign-in (`POST /auth/local`): only where the platform is reachable from this machine alone. */
  localAuth: boolean;
  /** Who may sign in, and who is an admin. */
  access: AccessPolicy;
  retention: RetentionSettings;
  /** Days an activity log entry is kept (ACTIVITY_RETENTION_DAYS); the leading controller deletes older ones. */
  activityRetentionDays: number;
  limits: UserLimits;
  /** The sizes a service can have (SERVICE_SIZES). */
  sizes: ServiceSizeDto[];
  /** Between CPU/memory samples while someone watches (METRICS_SAMPLE_SECONDS). */
  metricsSampleMs: number;
  encryption: { keyId: string; key: Buffer | undefined; oldKeys: Map<string, Buffer> };
  sessionSecret: string | undefined;
  sessionTtlMs: number;
  kubeconfig: string | undefined;
  /** On SIGTERM, how long requests in flight may take to finish. */
  shutdownGraceMs: number;
  /** What this process runs (DANGUS_ROLE): everything, HTTP only, or the leader-elected controller. */
  role: 'all' | 'api' | 'controller';
  /** How long a request waits for its change's commit (COMMIT_WAIT_SECONDS). */
  commitWaitMs: number;
  /** Whether this process applies the state repo (`builtin`) or leaves it to another applier (`external`). */
  applier: 'builtin' | 'external';
  /** The external applier's notify endpoint and its token, if one is set. */
  applierNotify: { url: string; token: string | undefined } | undefined;
  /** Flux's GitRepository to annotate after every commit. */
  fluxGitRepository: { namespace: string; name: string } | undefined;
  /** A webhook to call after every commit. */
  gitopsWebhook: { url: string; secret: string | undefined } | undefined;
  harborHost: string;
  harborProject: string;
  /** The robot account builds push with when tenants share one (no Harbor admin settings); `null` pushes without credentials. */
  registryCredentials: { username: string; password: string } | null;
  /** Whether any registry setting is given (HARBOR_*): without one (a laptop), nothing warns about the shared credential. */
  registryConfigured: boolean;
  /**
   * Which registry holds the images (REGISTRY_MODE). `bundled`: a distribution registry
   * whose token server is the platform, reached at `url`, with the tokens' service and issuer.
   */
  registry: RegistrySettings;
  /** The first-run setup token's hash and expiry (SETUP_TOKEN_*), as the installer set them. */
  setupToken: { sha256: string; expiresAt: Date | undefined } | undefined;
  /** The directory the setup token's files are read from at request time (SETUP_TOKEN_DIR), when set. */
  setupTokenDir: string | undefined;
  /** Where the DNS records point (DNS_TARGET): the ingress's public address or host name. */
  dnsTarget: string | null;
  /** Harbor's API and the account that makes each tenant's project and robot; `null`: one shared credential. */
  harborAdmin: { url: string; username: string; password: string } | null;
  /**
   * The pull Secret the platform writes into every tenant namespace from the tenant's
   * registry credential (its own robot, or the shared one) and every Deployment names;
   * `null` when it has no credential (then `IMAGE_PULL_SECRET`, if set, is named instead).
   */
  tenantPullSecret: string | null;
  /** The object-storage backend (OBJECT_STORAGE_*); `null`: services cannot enable object storage. */
  objectStorage: ObjectStorageSettings | null;
  baseDomain: string;
  /** Custom domains and certificates (issue 34). */
  domains: DomainSettings;
  webhookBaseUrl: string;
  /** The bearer token of the registry's push notifications (`POST /webhooks/registry`); none: the endpoint is off. */
  registryWebhookToken: string | undefined;
  stateRepoDir: string;
  /** A remote every commit is pushed to, with its token. */
  stateRepoRemote: { url: string; token: string | undefined } | undefined;
  /** Bearer token of `/state.git`; the repo is not served without one. */
  stateRepoToken: string | undefined;
  /** Operator-editable templates; the repository's `templates/` by default. */
  templatesDir: string | undefined;
  /** Settings of the rendered manifests, validated by the writer's schema at start-up. */
  render: Pick<
    RenderSettings,
    | 'storageClass'
    | 'ingressClassName'
    | 'tls'
    | 'imagePullSecret'
    | 'builderImage'
    | 'buildDeadlineSeconds'
    | 'ingressControllerNamespace'
    | 'gitImage'
    | 'gitSourceUrl'
    | 'dnsNamespace'
    | 'egressDeniedCidrs'
    | 'buildEgressCidr'
    | 'objectStorageEgress'
    | 'registryLayout'
    | 'flux'
    | 'certificates'
    | 'teamQuota'
  >;
}

/** The settings of custom domains and certificates (README "Custom domains and TLS"). */
export interface DomainSettings {
  /** The DNS servers the TXT and A/AAAA/CNAME checks ask (the system's when empty), and their timeout. */
  dns: { servers: readonly string[]; timeoutMs: number };
  /** The public addresses of the ingress: a domain's A/AAAA must be among them (or a CNAME under BASE_DOMAIN). */
  ingressAddresses: readonly string[];
  /** The port the HTTP reachability check connects to (80: Traefik's web entrypoint). */
  httpCheckPort: number;
  /** At most this many new HTTP-01 certificates asked for in any hour (CERT_REQUESTS_PER_HOUR); the others queue. */
  certificateRequestsPerHour: number;
  /** The platform's own hosts, never claimable. */
  platformHosts: readonly string[];
  /** The ClusterIssuer of HTTP-01 certificates (custom domains, and platform hosts without a DNS-01 issuer); none: no certificate is asked for. */
  issuer: string | null;
  /** A DNS-01 capable ClusterIssuer: one wildcard certificate `*.{BASE_DOMAIN}` for every service. */
  dns01Issuer: string | null;
}

/** A GitHub App's credentials (from the environment or the manifest flow). */
export interface GitHubAppSettings {
  appId: number;
  slug: string;
  clientId: string;
  clientSecret: string;
  privateKey: string;
  webhookSecret: string;
}

/** REGISTRY_MODE and the bundled registry's settings. */
export interface RegistrySettings {
  mode: 'harbor' | 'bundled' | 'none';
  /** The bundled registry's API (REGISTRY_URL, default `http://{REGISTRY_HOST}`); null in the other modes. */
  url: string | null;
  tokenService: string;
  tokenIssuer: string;
}

/** The pull Secret the platform writes into each tenant namespace, in both registry modes. */
export const TENANT_PULL_SECRET = 'dangus-registry';

/** One line for one problem (the setting, then what to do), else a list of every problem. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? `Invalid configuration: ${problems[0] ?? ''}` : `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const LOOPBACK = LOOPBACK_HOSTS;

function isLoopbackUrl(url: string): boolean {
  try {
    return LOOPBACK.has(new URL(url).hostname.replace(/^\[|\]$/g, ''));
  } catch {
    return false;
  }
}

/** Who may sign in (see the settings ALLOWED_GITHUB_USERS, ALLOWED_GITHUB_ORGS, ADMIN_GITHUB_USERS). */
export interface AccessPolicy {
  /** Accounts (lower-cased logins, or `id:NNN`), or anyone ("*"). */
  allowedUsers: Set<string> | 'anyone';
  /** Lower-cased organizations whose members may sign in. */
  allowedOrgs: string[];
  /** Accounts (lower-cased logins, or `id:NNN`) that are admins and always allowed. */
  admins: Set<string>;
}

/** How much history each service keeps (settings DEPLOYMENTS_KEPT, RELEASES_KEPT, BUILD_LOGS_KEPT_DAYS, DELIVERIES_KEPT). */
export interface RetentionSettings {
  deploymentsPerService: number;
  /** Releases whose image stays in the registry (use-cases/release-retention.ts). */
  releasesPerService: number;
  buildLogDays: number;
  deliveriesPerService: number;
}

/** Limits per user; 0 is no limit (the same shape the Users page shows). */
export type UserLimits = UserLimitsDto;

/**
 * Parses the environment into a Config; throws one ConfigError listing every
 * problem so an operator fixes them all in one go.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(env);
  // A placeholder or an empty required secret is the one problem of its setting.
  const role = (env.DANGUS_ROLE ?? '').trim();
  const required = new Set([
    ...((env.DATABASE_URL ?? '').trim() === '' ? [] : ['ENCRYPTION_KEY', 'SESSION_SECRET']),
    ...(role === 'api' || role === 'controller' ? ['DATABASE_URL'] : []),
  ]);
  const placeholders = placeholderProblems(env, Object.keys(envSchema.shape), required);
  const settingOf = (problem: string) => problem.slice(0, problem.indexOf(':'));
  const problems = [
    ...placeholders.values(),
    ...(parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`)),
    ...crossFieldProblems(env),
  ].filter((problem, i) => i < placeholders.size || !placeholders.has(settingOf(problem)));
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const publicUrl = e.PUBLIC_URL ?? `http://${e.HOST.includes(':') ? `[${e.HOST}]` : e.HOST}:${e.PORT}`;
  const oauth =
    e.GITHUB_CLIENT_ID && e.GITHUB_CLIENT_SECRET
      ? { clientId: e.GITHUB_CLIENT_ID, clientSecret: e.GITHUB_CLIENT_SECRET }
      : undefined;
  const app =
    e.GITHUB_APP_ID && e.GITHUB_APP_PRIVATE_KEY && e.GITHUB_APP_WEBHOOK_SECRET && e.GITHUB_APP_CLIENT_ID && e.GITHUB_APP_CLIENT_SECRET && e.GITHUB_APP_SLUG
      ? {
          appId: Number(e.GITHUB_APP_ID),
          slug: e.GITHUB_APP_SLUG,
          clientId: e.GITHUB_APP_CLIENT_ID,
          clientSecret: e.GITHUB_APP_CLIENT_SECRET,
          privateKey: e.GITHUB_APP_PRIVATE_KEY,
          webhookSecret: e.GITHUB_APP_WEBHOOK_SECRET,
        }
      : undefined;
  const [fluxNamespace, fluxName] = e.FLUX_GITREPOSITORY?.split('/') ?? [];
  const fluxGitRepository = fluxNamespace && fluxName ? { namespace: fluxNamespace, name: fluxName } : undefined;
  // The local sign-in has no password: only where nobody but this machine can reach it.
  const loopbackOnly = LOOPBACK.has(e.HOST) && isLoopbackUrl(publicUrl);
  if (e.AUTH_LOCAL === true && !loopbackOnly) {
    throw new ConfigError([
      `AUTH_LOCAL: the local sign-in has no password, so it is only allowed when the platform listens on loopback (HOST is ${e.HOST}) and PUBLIC_URL is a loopback URL (it is ${publicUrl}). Configure a GitHub OAuth app instead.`,
    ]);
  }
  const harborAdmin =
    e.HARBOR_ADMIN_USERNAME && e.HARBOR_ADMIN_PASSWORD
      ? { url: e.HARBOR_URL ?? `https://${e.HARBOR_HOST}`, username: e.HARBOR_ADMIN_USERNAME, password: e.HARBOR_ADMIN_PASSWORD }
      : null;
  const registryCredentials =
    e.HARBOR_USERNAME && e.HARBOR_PASSWORD ? { username: e.HARBOR_USERNAME, password: e.HARBOR_PASSWORD } : null;
  const harborSet = ['HARBOR_HOST', 'HARBOR_URL', 'HARBOR_USERNAME', 'HARBOR_ADMIN_USERNAME'].some((name) => (env[name] ?? '').trim() !== '');
  const registryMode = e.REGISTRY_MODE ?? (harborSet ? 'harbor' : 'none');
  const bundled = registryMode === 'bundled';
  const registry: RegistrySettings = {
    mode: registryMode,
    url: bundled ? (e.REGISTRY_URL ?? `http://${e.REGISTRY_HOST ?? ''}`) : null,
    tokenService: e.REGISTRY_TOKEN_SERVICE,
    tokenIssuer: e.REGISTRY_TOKEN_ISSUER,
  };
  // Per tenant: Harbor with its admin settings, or the bundled registry (a robot per tenant).
  const perTenant = harborAdmin !== null || bundled;
  const tenantPullSecret = perTenant || registryCredentials ? TENANT_PULL_SECRET : null;
  const oldKeys = new Map<string, Buffer>();
  for (const entry of e.ENCRYPTION_OLD_KEYS.split(',').filter(Boolean)) {
    const [id = '', key = ''] = entry.split(':');
    oldKeys.set(id, Buffer.from(key, 'base64'));
  }
  return {
    nodeEnv: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    publicUrl,
    secureCookies: publicUrl.startsWith('https://'),
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DANGUS_DATA_DIR,
    github: {
      oauth,
      app,
      callbackUrl: e.GITHUB_CALLBACK_URL ?? `${publicUrl}/auth/github/callback`,
      webUrl: e.GITHUB_WEB_URL,
      apiUrl: e.GITHUB_API_URL,
    },
    localAuth: e.AUTH_LOCAL ?? (oauth === undefined && app === undefined && loopbackOnly),
    access: {
      allowedUsers: e.ALLOWED_GITHUB_USERS.includes('*') ? 'anyone' : new Set(e.ALLOWED_GITHUB_USERS),
      allowedOrgs: e.ALLOWED_GITHUB_ORGS,
      admins: new Set(e.ADMIN_GITHUB_USERS),
    },
    retention: {
      deploymentsPerService: e.DEPLOYMENTS_KEPT,
      releasesPerService: e.RELEASES_KEPT,
      buildLogDays: e.BUILD_LOGS_KEPT_DAYS,
      deliveriesPerService: e.DELIVERIES_KEPT,
    },
    activityRetentionDays: e.ACTIVITY_RETENTION_DAYS,
    sizes: e.SERVICE_SIZES,
    metricsSampleMs: e.METRICS_SAMPLE_SECONDS * 1000,
    limits: {
      projectsPerUser: e.MAX_PROJECTS_PER_USER,
      servicesPerProject: e.MAX_SERVICES_PER_PROJECT,
      envVarsPerService: e.MAX_ENV_VARS_PER_SERVICE,
      envBytesPerService: e.MAX_ENV_BYTES_PER_SERVICE,
      streamsPerUser: e.MAX_STREAMS_PER_USER,
      historyRequestsPerUser: e.MAX_HISTORY_REQUESTS_PER_USER,
      exemptAdmins: e.LIMITS_EXEMPT_ADMINS,
      teamsPerUser: e.MAX_TEAMS_PER_USER,
      projectsPerTeam: e.MAX_PROJECTS_PER_TEAM,
      servicesPerTeam: e.MAX_SERVICES_PER_TEAM,
    },
    encryption: {
      keyId: e.ENCRYPTION_KEY_ID,
      key: e.ENCRYPTION_KEY ? Buffer.from(e.ENCRYPTION_KEY, 'base64') : undefined,
      oldKeys,
    },
    sessionSecret: e.SESSION_SECRET,
    sessionTtlMs: e.SESSION_TTL_HOURS * 3_600_000,
    kubeconfig: e.KUBECONFIG,
    applier: e.APPLIER,
    shutdownGraceMs: e.SHUTDOWN_GRACE_SECONDS * 1000,
    role: e.DANGUS_ROLE,
    commitWaitMs: Math.round(e.COMMIT_WAIT_SECONDS * 1000),
    applierNotify: e.APPLIER_NOTIFY_URL ? { url: e.APPLIER_NOTIFY_URL, token: e.APPLIER_TOKEN } : undefined,
    fluxGitRepository,
    gitopsWebhook: e.GITOPS_WEBHOOK_URL ? { url: e.GITOPS_WEBHOOK_URL, secret: e.GITOPS_WEBHOOK_SECRET } : undefined,
    harborHost: bundled && e.REGISTRY_HOST ? e.REGISTRY_HOST : e.HARBOR_HOST,
    harborProject: e.HARBOR_PROJECT,
    registryCredentials: bundled ? null : registryCredentials,
    harborAdmin: bundled ? null : harborAdmin,
    registry,
    setupToken: e.SETUP_TOKEN_SHA256 ? { sha256: e.SETUP_TOKEN_SHA256, expiresAt: e.SETUP_TOKEN_EXPIRES_AT ? new Date(e.SETUP_TOKEN_EXPIRES_AT) : undefined } : undefined,
    setupTokenDir: e.SETUP_TOKEN_DIR,
    dnsTarget: e.DNS_TARGET ?? null,
    tenantPullSecret,
    objectStorage: objectStorageSettings(e),
    registryConfigured: harborSet || bundled,
    baseDomain: e.BASE_DOMAIN,
    domains: {
      dns: { servers: e.DOMAIN_DNS_SERVERS, timeoutMs: Math.round(e.DOMAIN_DNS_TIMEOUT_SECONDS * 1000) },
      ingressAddresses: e.INGRESS_ADDRESSES,
      httpCheckPort: e.DOMAIN_HTTP_CHECK_PORT,
      certificateRequestsPerHour: e.CERT_REQUESTS_PER_HOUR,
      platformHosts: [new URL(publicUrl).hostname],
      issuer: e.CERT_ISSUER ?? null,
      dns01Issuer: e.CERT_DNS01_ISSUER ?? null,
    },
    webhookBaseUrl: e.WEBHOOK_BASE_URL ?? `${publicUrl}/webhooks/github`,
    registryWebhookToken: e.REGISTRY_WEBHOOK_TOKEN,
    stateRepoDir: e.STATE_REPO_DIR ?? `${e.DANGUS_DATA_DIR}/state-repo`,
    stateRepoToken: e.STATE_REPO_TOKEN,
    stateRepoRemote: e.STATE_REPO_REMOTE ? { url: e.STATE_REPO_REMOTE, token: e.STATE_REPO_REMOTE_TOKEN } : undefined,
    templatesDir: e.TEMPLATES_DIR,
    render: {
      storageClass: e.STORAGE_CLASS === '' ? null : e.STORAGE_CLASS,
      ingressClassName: e.INGRESS_CLASS === '' ? null : e.INGRESS_CLASS,
      tls: { enabled: e.INGRESS_TLS, secretName: e.INGRESS_TLS_SECRET ?? null },
      // With a registry credential the platform writes the pull Secret itself, per tenant.
      imagePullSecret: tenantPullSecret ?? e.IMAGE_PULL_SECRET ?? null,
      registryLayout: perTenant ? 'per-tenant' : 'shared',
      builderImage: e.BUILDER_IMAGE,
      buildDeadlineSeconds: e.BUILD_DEADLINE_SECONDS,
      ingressControllerNamespace: e.INGRESS_CONTROLLER_NAMESPACE,
      gitImage: e.GIT_IMAGE,
      gitSourceUrl: e.GIT_SOURCE_URL,
      dnsNamespace: e.DNS_NAMESPACE,
      egressDeniedCidrs: e.TENANT_EGRESS_DENIED_CIDRS,
      buildEgressCidr: e.BUILD_EGRESS_CIDR ?? null,
      objectStorageEgress: objectStorageEgress(e),
      // Each tenant's Flux Kustomization (flux/{namespace}.yaml) names the GitRepository
      // the api pokes; the bootstrap example's when Flux is not configured.
      flux: fluxGitRepository
        ? { namespace: fluxGitRepository.namespace, source: fluxGitRepository.name }
        : { namespace: 'flux-system', source: 'dangus-state' },
      certificates: { issuer: e.CERT_ISSUER ?? null, dns01Issuer: e.CERT_DNS01_ISSUER ?? null },
      // A team's projects' quota (TEAM_NAMESPACE_QUOTA): each value given in place of a person's.
      teamQuota: Object.keys(e.TEAM_NAMESPACE_QUOTA).length > 0 ? e.TEAM_NAMESPACE_QUOTA : null,
    },
  };
}
