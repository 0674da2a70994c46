import type { RenderSettings } from '@dangus/gitops-writer';
import { DEFAULT_EGRESS_DENIED_CIDRS, DEFAULT_GIT_IMAGE, DEFAULT_GIT_SOURCE_URL } from '@dangus/gitops-writer/input-schema';
import type { ServiceSizeDto, UserLimitsDto } from '@dangus/common';
import { z } from 'zod';

/**
 * Every setting of the platform, parsed once at start-up (docs/architecture.md#code-conventions). The
 * README's "Configuration" table documents each one; keep the two in step.
 */
const booleanString = z
  .enum(['true', 'false', '1', '0'], { error: 'Use true or false.' })
  .transform((v) => v === 'true' || v === '1');

const optionalString = z
  .string()
  .transform((v) => (v.trim() === '' ? undefined : v.trim()))
  .optional();

/** The sizes a service can have unless the operator sets SERVICE_SIZES. */
export const DEFAULT_SERVICE_SIZES = {
  small: { cpu: '250m', memory: '256Mi' },
  medium: { cpu: '500m', memory: '512Mi' },
  large: { cpu: '1', memory: '1Gi' },
};

const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;
const serviceSizesSchema = z
  .record(
    z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'a size name is lowercase letters, digits and "-"'),
    z.strictObject({ cpu: z.string().regex(QUANTITY, 'a CPU quantity'), memory: z.string().regex(QUANTITY, 'a memory quantity') }),
  )
  .refine((sizes) => Object.keys(sizes).length > 0, 'at least one size');

const url = (what: string) =>
  z
    .string()
    .trim()
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), `${what} must be an http(s) URL.`)
    .transform((v) => v.replace(/\/+$/, ''));

const encryptionKey = z
  .string()
  .trim()
  .refine(
    (v) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && Buffer.from(v, 'base64').length === 32,
    'ENCRYPTION_KEY must be base64 that decodes to exactly 32 bytes (openssl rand -base64 32).',
  );

const oldEncryptionKeys = z
  .string()
  .trim()
  .refine(
    (v) =>
      v === '' ||
      v.split(',').every((entry) => {
        const [id, key] = entry.split(':');
        return !!id && /^[a-z0-9]{1,16}$/.test(id) && !!key && Buffer.from(key, 'base64').length === 32;
      }),
    'ENCRYPTION_OLD_KEYS must be a comma-separated list of id:base64key with 32-byte keys.',
  );

/** A comma-separated list of GitHub logins or organizations, lower-cased (GitHub's names are case-insensitive). */
const GITHUB_NAME = /^[a-z0-9](?:[a-z0-9-]{0,38})$/;
const nameList = (value: string) => value.split(',').map((name) => name.trim().replace(/^@/, '').toLowerCase()).filter((name) => name !== '');
const loginList = z
  .string()
  .default('')
  .transform(nameList)
  .refine((names) => names.every((name) => name === '*' || GITHUB_NAME.test(name)), 'Not a list of GitHub names (letters, digits, "-").');
/** GitHub accounts: logins, or `id:NNN` (the account's numeric id, which a rename keeps). */
const accountList = z
  .string()
  .default('')
  .transform(nameList)
  .refine(
    (names) => names.every((name) => name === '*' || GITHUB_NAME.test(name) || /^id:[1-9][0-9]{0,19}$/.test(name)),
    'Not a list of GitHub logins (letters, digits, "-") or id:NNN entries (an account\'s numeric id).',
  );

export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    HOST: z.string().trim().min(1).default('127.0.0.1'),
    PORT: z.coerce.number({ error: 'PORT must be a number.' }).int().min(0).max(65535).default(3000),
    PUBLIC_URL: url('PUBLIC_URL').optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // On SIGTERM, requests in flight get this long to finish.
    SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(0).max(600).default(10),
    // all: everything in one process (the embedded default); api: HTTP only, any number
    // of replicas; controller: the state-repo writer, pipeline and applier, leader-elected.
    DANGUS_ROLE: z.enum(['all', 'api', 'controller']).default('all'),
    // How long a request waits for the controller to commit its change before answering.
    COMMIT_WAIT_SECONDS: z.coerce.number().min(0).max(60).default(5),

    DATABASE_URL: optionalString.refine(
      (v) => v === undefined || /^postgres(ql)?:\/\//.test(v),
      'DATABASE_URL must be a postgres:// URL.',
    ),
    DANGUS_DATA_DIR: z.string().trim().min(1).default('./.dangus'),

    GITHUB_CLIENT_ID: optionalString,
    GITHUB_CLIENT_SECRET: optionalString,
    GITHUB_CALLBACK_URL: url('GITHUB_CALLBACK_URL').optional(),
    GITHUB_WEB_URL: url('GITHUB_WEB_URL').default('https://github.com'),
    GITHUB_API_URL: url('GITHUB_API_URL').default('https://api.github.com'),
    AUTH_LOCAL: booleanString.optional(),
    // Who may sign in: GitHub logins ("*": anyone), organizations (membership is
    // checked at every sign-in), and the admins (always allowed). None of the
    // allow settings: the first person to sign in becomes the admin, the rest ask.
    // A login is pinned to the account that first signs in with it; `id:NNN` names an account by its id.
    ALLOWED_GITHUB_USERS: accountList,
    ALLOWED_GITHUB_ORGS: loginList,
    ADMIN_GITHUB_USERS: accountList,
    // Limits per user (0: no limit). Admins are held to them unless LIMITS_EXEMPT_ADMINS.
    MAX_PROJECTS_PER_USER: z.coerce.number().int().min(0).default(10),
    MAX_SERVICES_PER_PROJECT: z.coerce.number().int().min(0).default(10),
    MAX_ENV_VARS_PER_SERVICE: z.coerce.number().int().min(0).default(100),
    MAX_ENV_BYTES_PER_SERVICE: z.coerce.number().int().min(0).max(900 * 1024).default(256 * 1024),
    MAX_STREAMS_PER_USER: z.coerce.number().int().min(0).default(20),
    // History requests (each runs git) a user may have under way at once, per api process.
    MAX_HISTORY_REQUESTS_PER_USER: z.coerce.number().int().min(0).default(2),
    // Seconds between CPU/memory samples of the services someone is looking at.
    METRICS_SAMPLE_SECONDS: z.coerce.number().int().min(1).max(300).default(15),
    LIMITS_EXEMPT_ADMINS: booleanString.default(false),
    // History kept per service (checked hourly).
    DEPLOYMENTS_KEPT: z.coerce.number().int().min(1).default(100),
    // The sizes a service can have (CPU and memory of each pod, requests = limits), as JSON.
    SERVICE_SIZES: z
      .string()
      .default(JSON.stringify(DEFAULT_SERVICE_SIZES))
      .transform((text, ctx) => {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          ctx.addIssue({ code: 'custom', message: 'SERVICE_SIZES is JSON: {"small": {"cpu": "250m", "memory": "256Mi"}, …}.' });
          return z.NEVER;
        }
        const parsed = serviceSizesSchema.safeParse(value);
        if (!parsed.success) {
          ctx.addIssue({ code: 'custom', message: `SERVICE_SIZES: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` });
          return z.NEVER;
        }
        return Object.entries(parsed.data).map(([name, size]) => ({ name, ...size }));
      }),
    // Images of each service's newest N releases stay in the registry (per-tenant Harbor mode).
    RELEASES_KEPT: z.coerce.number().int().min(1).default(10),
    BUILD_LOGS_KEPT_DAYS: z.coerce.number().int().min(1).default(90),
    DELIVERIES_KEPT: z.coerce.number().int().min(1).default(200),

    ENCRYPTION_KEY: encryptionKey.optional(),
    ENCRYPTION_KEY_ID: z
      .string()
      .regex(/^[a-z0-9]{1,16}$/, 'ENCRYPTION_KEY_ID must be 1-16 characters of [a-z0-9].')
      .default('k1'),
    ENCRYPTION_OLD_KEYS: oldEncryptionKeys.default(''),
    SESSION_SECRET: z.string().min(32, 'SESSION_SECRET must be at least 32 characters.').optional(),
    SESSION_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 90).default(24 * 14),

    KUBECONFIG: optionalString,
    // builtin: the api applies the state repo itself (the embedded default);
    // external: something else does (the installed applier Deployment, Flux, Argo CD).
    APPLIER: z.enum(['builtin', 'external']).default('builtin'),
    // With APPLIER=external: the applier's notify endpoint, called after every commit.
    APPLIER_NOTIFY_URL: url('APPLIER_NOTIFY_URL').optional(),
    APPLIER_TOKEN: optionalString,
    // Flux's GitRepository of the state repo (namespace/name), annotated after every commit
    // so Flux fetches at once instead of at its interval.
    FLUX_GITREPOSITORY: z
      .string()
      .trim()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/, 'FLUX_GITREPOSITORY is namespace/name, e.g. flux-system/dangus-state.')
      .optional(),
    // A webhook called after every commit (Flux's Receiver, another engine's); signed with the secret when set.
    GITOPS_WEBHOOK_URL: url('GITOPS_WEBHOOK_URL').optional(),
    GITOPS_WEBHOOK_SECRET: optionalString,
    HARBOR_HOST: z
      .string()
      .trim()
      .regex(/^[a-z0-9.-]+(:\d+)?$/, 'HARBOR_HOST is a host name with an optional port, no scheme.')
      .default('harbor.local'),
    HARBOR_PROJECT: z.string().trim().regex(/^[a-z0-9][a-z0-9._-]*$/).default('dangus'),
    HARBOR_USERNAME: optionalString,
    HARBOR_PASSWORD: optionalString,
    BASE_DOMAIN: z
      .string()
      .trim()
      .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'BASE_DOMAIN is a DNS name.')
      .default('dangus.localhost'),
    WEBHOOK_BASE_URL: url('WEBHOOK_BASE_URL').optional(),
    STATE_REPO_DIR: optionalString,
    STATE_REPO_REMOTE: url('STATE_REPO_REMOTE').optional(),
    STATE_REPO_REMOTE_TOKEN: optionalString,
    STATE_REPO_TOKEN: z.string().min(16, 'STATE_REPO_TOKEN must be at least 16 characters.').optional(),
    TEMPLATES_DIR: optionalString,
    STORAGE_CLASS: z.string().trim().default('longhorn'),
    INGRESS_CLASS: z.string().trim().default('traefik'),
    INGRESS_TLS: booleanString.default(false),
    INGRESS_TLS_SECRET: optionalString,
    IMAGE_PULL_SECRET: optionalString,
    BUILDER_IMAGE: z.string().trim().default('gcr.io/kaniko-project/executor:v1.23.2'),
    BUILD_DEADLINE_SECONDS: z.coerce.number().int().min(10).max(86_400).default(1800),
    INGRESS_CONTROLLER_NAMESPACE: z.string().trim().default('kube-system'),
    GIT_IMAGE: z.string().trim().default(DEFAULT_GIT_IMAGE),
    // Where builds fetch sources: GitHub, or a mirror serving the same paths and token check.
    GIT_SOURCE_URL: url('GIT_SOURCE_URL').default(DEFAULT_GIT_SOURCE_URL),
    DNS_NAMESPACE: z.string().trim().default('kube-system'),
    // Comma-separated; an empty value denies nothing (not recommended).
    TENANT_EGRESS_DENIED_CIDRS: z
      .string()
      .default(DEFAULT_EGRESS_DENIED_CIDRS.join(','))
      .transform((value) => value.split(',').map((cidr) => cidr.trim()).filter((cidr) => cidr !== '')),
    BUILD_EGRESS_CIDR: optionalString,
    // Harbor's API, and an account that may create projects and robot accounts:
    // with both, every tenant gets a registry project and robot of its own.
    HARBOR_URL: url('HARBOR_URL').optional(),
    HARBOR_ADMIN_USERNAME: optionalString,
    HARBOR_ADMIN_PASSWORD: optionalString,
  });

/**
 * Rules between settings. They read the raw strings so that they are reported
 * together with the per-field problems, not only once those are fixed.
 */
function crossFieldProblems(env: Record<string, string | undefined>): string[] {
  const set = (name: string) => (env[name] ?? '').trim() !== '';
  const problems: string[] = [];
  if (set('GITHUB_CLIENT_ID') !== set('GITHUB_CLIENT_SECRET')) {
    const missing = set('GITHUB_CLIENT_ID') ? 'GITHUB_CLIENT_SECRET' : 'GITHUB_CLIENT_ID';
    problems.push(`${missing}: Set both GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET, or neither.`);
  }
  if (set('HARBOR_ADMIN_USERNAME') !== set('HARBOR_ADMIN_PASSWORD')) {
    const missing = set('HARBOR_ADMIN_USERNAME') ? 'HARBOR_ADMIN_PASSWORD' : 'HARBOR_ADMIN_USERNAME';
    problems.push(`${missing}: Set both HARBOR_ADMIN_USERNAME and HARBOR_ADMIN_PASSWORD (an account that may create Harbor projects and robot accounts), or neither.`);
  }
  if (set('HARBOR_USERNAME') !== set('HARBOR_PASSWORD')) {
    const missing = set('HARBOR_USERNAME') ? 'HARBOR_PASSWORD' : 'HARBOR_USERNAME';
    problems.push(`${missing}: Set both HARBOR_USERNAME and HARBOR_PASSWORD (a Harbor robot account that may push), or neither.`);
  }
  const role = (env.DANGUS_ROLE ?? '').trim();
  if ((role === 'api' || role === 'controller') && !set('DATABASE_URL')) {
    problems.push(`DATABASE_URL: DANGUS_ROLE=${role} needs DATABASE_URL: the api replicas and the controllers share one PostgreSQL.`);
  }
  // Outside the embedded default nothing is generated: a production install
  // that forgot its key must not silently encrypt with a throwaway one.
  if (set('DATABASE_URL')) {
    for (const name of ['ENCRYPTION_KEY', 'SESSION_SECRET']) {
      if (!set(name)) problems.push(`${name}: ${name} is required when DATABASE_URL is set.`);
    }
  }
  return problems;
}

export type RawEnv = z.infer<typeof envSchema>;

export interface Config {
  nodeEnv: RawEnv['NODE_ENV'];
  host: string;
  port: number;
  /** The platform's own origin, e.g. `http://127.0.0.1:3000`: the Origin check compares with it. */
  publicUrl: string;
  secureCookies: boolean;
  logLevel: RawEnv['LOG_LEVEL'];
  /** Undefined in the embedded default: the api then starts PostgreSQL itself. */
  databaseUrl: string | undefined;
  dataDir: string;
  github: {
    oauth: { clientId: string; clientSecret: string } | undefined;
    callbackUrl: string;
    webUrl: string;
    apiUrl: string;
  };
  /** Local sign-in (`POST /auth/local`): only where the platform is reachable from this machine alone. */
  localAuth: boolean;
  /** Who may sign in, and who is an admin. */
  access: AccessPolicy;
  retention: RetentionSettings;
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
  /** Harbor's API and the account that makes each tenant's project and robot; `null`: one shared credential. */
  harborAdmin: { url: string; username: string; password: string } | null;
  baseDomain: string;
  webhookBaseUrl: string;
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
    | 'registryLayout'
    | 'flux'
  >;
}

/** The pull Secret the platform writes into each tenant namespace in the per-tenant registry mode. */
export const TENANT_PULL_SECRET = 'dangus-registry';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

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
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`)),
    ...crossFieldProblems(env),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const publicUrl = e.PUBLIC_URL ?? `http://${e.HOST.includes(':') ? `[${e.HOST}]` : e.HOST}:${e.PORT}`;
  const oauth =
    e.GITHUB_CLIENT_ID && e.GITHUB_CLIENT_SECRET
      ? { clientId: e.GITHUB_CLIENT_ID, clientSecret: e.GITHUB_CLIENT_SECRET }
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
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DANGUS_DATA_DIR,
    github: {
      oauth,
      callbackUrl: e.GITHUB_CALLBACK_URL ?? `${publicUrl}/auth/github/callback`,
      webUrl: e.GITHUB_WEB_URL,
      apiUrl: e.GITHUB_API_URL,
    },
    localAuth: e.AUTH_LOCAL ?? (oauth === undefined && loopbackOnly),
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
    harborHost: e.HARBOR_HOST,
    harborProject: e.HARBOR_PROJECT,
    registryCredentials:
      e.HARBOR_USERNAME && e.HARBOR_PASSWORD ? { username: e.HARBOR_USERNAME, password: e.HARBOR_PASSWORD } : null,
    harborAdmin,
    baseDomain: e.BASE_DOMAIN,
    webhookBaseUrl: e.WEBHOOK_BASE_URL ?? `${publicUrl}/webhooks/github`,
    stateRepoDir: e.STATE_REPO_DIR ?? `${e.DANGUS_DATA_DIR}/state-repo`,
    stateRepoToken: e.STATE_REPO_TOKEN,
    stateRepoRemote: e.STATE_REPO_REMOTE ? { url: e.STATE_REPO_REMOTE, token: e.STATE_REPO_REMOTE_TOKEN } : undefined,
    templatesDir: e.TEMPLATES_DIR,
    render: {
      storageClass: e.STORAGE_CLASS,
      ingressClassName: e.INGRESS_CLASS === '' ? null : e.INGRESS_CLASS,
      tls: { enabled: e.INGRESS_TLS, secretName: e.INGRESS_TLS_SECRET ?? null },
      // Per tenant, the platform writes the pull Secret itself, from the tenant's robot.
      imagePullSecret: harborAdmin ? TENANT_PULL_SECRET : (e.IMAGE_PULL_SECRET ?? null),
      registryLayout: harborAdmin ? 'per-tenant' : 'shared',
      builderImage: e.BUILDER_IMAGE,
      buildDeadlineSeconds: e.BUILD_DEADLINE_SECONDS,
      ingressControllerNamespace: e.INGRESS_CONTROLLER_NAMESPACE,
      gitImage: e.GIT_IMAGE,
      gitSourceUrl: e.GIT_SOURCE_URL,
      dnsNamespace: e.DNS_NAMESPACE,
      egressDeniedCidrs: e.TENANT_EGRESS_DENIED_CIDRS,
      buildEgressCidr: e.BUILD_EGRESS_CIDR ?? null,
      // Each tenant's Flux Kustomization (flux/{namespace}.yaml) names the GitRepository
      // the api pokes; the bootstrap example's when Flux is not configured.
      flux: fluxGitRepository
        ? { namespace: fluxGitRepository.namespace, source: fluxGitRepository.name }
        : { namespace: 'flux-system', source: 'dangus-state' },
    },
  };
}
