import { DEFAULT_EGRESS_DENIED_CIDRS, DEFAULT_GIT_IMAGE, DEFAULT_GIT_SOURCE_URL } from '@dangus/gitops-writer/input-schema';
import { isIP } from 'node:net';
import { z } from 'zod';
import { objectStorageEnv, objectStorageProblems } from './object-storage.js';

/**
 * The environment the platform reads: every setting, its parsing and its rules, checked once
 * at start-up (docs/architecture.md#code-conventions); config.ts derives the Config from it.
 * The README's "Configuration" table documents each one; keep the two in step.
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

/**
 * TEAM_NAMESPACE_QUOTA: a team's projects' ResourceQuota, by the ResourceQuota's own names
 * (the apps' budget: a build's allowance comes on top, as for a person's); each value given
 * replaces the person's. Numbers only: no value can change the manifest's shape.
 */
const teamQuotaSchema = z
  .strictObject({
    'requests.cpu': z.string().regex(QUANTITY, 'a CPU quantity such as 4 or 2500m'),
    'requests.memory': z.string().regex(QUANTITY, 'a memory quantity such as 8Gi'),
    'limits.cpu': z.string().regex(QUANTITY, 'a CPU quantity such as 8'),
    'limits.memory': z.string().regex(QUANTITY, 'a memory quantity such as 16Gi'),
    pods: z.number().int().min(1).max(100_000),
    persistentvolumeclaims: z.number().int().min(0).max(100_000),
    'requests.storage': z.string().regex(QUANTITY, 'a storage quantity such as 100Gi'),
  })
  .partial()
  .transform((q) =>
    Object.fromEntries(
      Object.entries({
        requestsCpu: q['requests.cpu'],
        requestsMemory: q['requests.memory'],
        limitsCpu: q['limits.cpu'],
        limitsMemory: q['limits.memory'],
        pods: q.pods,
        persistentVolumeClaims: q.persistentvolumeclaims,
        requestsStorage: q['requests.storage'],
      }).filter(([, value]) => value !== undefined),
    ),
  );

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

/** Listen addresses only this machine reaches. */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '::1', 'localhost']);

export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    HOST: z.string().trim().min(1).default('127.0.0.1'),
    PORT: z
      .string()
      .trim()
      .default('3000')
      .refine((v) => /^[0-9]{1,5}$/.test(v) && Number(v) >= 1 && Number(v) <= 65535, {
        error: (issue) => `must be 1–65535 (it is "${String(issue.input)}"): the one port of the UI, the API and the webhooks.`,
      })
      .transform(Number),
    PUBLIC_URL: url('PUBLIC_URL').optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // json: one JSON object a line, for shipping; pretty: one readable line each. Unset: pretty on a terminal.
    LOG_FORMAT: z.enum(['json', 'pretty'], { error: 'LOG_FORMAT is json (for a log shipper) or pretty (for a person).' }).optional(),
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
    // A GitHub App the operator made themselves (else the System page's "Connect GitHub" makes one).
    GITHUB_APP_ID: z.string().trim().regex(/^[1-9][0-9]{0,19}$/, 'GITHUB_APP_ID is the App\'s numeric id.').optional(),
    // PEM; "\n" escapes are accepted for one-line environments.
    GITHUB_APP_PRIVATE_KEY: optionalString.transform((v) => v?.replace(/\\n/g, '\n')),
    GITHUB_APP_WEBHOOK_SECRET: optionalString,
    GITHUB_APP_CLIENT_ID: optionalString,
    GITHUB_APP_CLIENT_SECRET: optionalString,
    GITHUB_APP_SLUG: z.string().trim().regex(/^[a-z0-9][a-z0-9-]{0,99}$/, 'GITHUB_APP_SLUG is the App\'s URL name (github.com/apps/{slug}).').optional(),
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
    // Limits of teams (0: no limit): teams a person may create (admins: none), and a team's
    // own projects and services (all its projects together), in place of its members'.
    MAX_TEAMS_PER_USER: z.coerce.number().int().min(0).default(3),
    MAX_PROJECTS_PER_TEAM: z.coerce.number().int().min(0).default(10),
    MAX_SERVICES_PER_TEAM: z.coerce.number().int().min(0).default(50),
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
    // A team's projects' namespace quota (issue 36), as JSON; unset or {}: the same as a person's.
    TEAM_NAMESPACE_QUOTA: z
      .string()
      .default('{}')
      .transform((text, ctx) => {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          ctx.addIssue({ code: 'custom', message: 'TEAM_NAMESPACE_QUOTA is JSON: {"requests.cpu": "4", "limits.memory": "16Gi", "pods": 40, …}.' });
          return z.NEVER;
        }
        const parsed = teamQuotaSchema.safeParse(value);
        if (!parsed.success) {
          ctx.addIssue({ code: 'custom', message: `TEAM_NAMESPACE_QUOTA: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'keys'}: ${i.message}`).join('; ')}` });
          return z.NEVER;
        }
        return parsed.data;
      }),
    // Images of each service's newest N releases stay in the registry (per-tenant Harbor mode).
    RELEASES_KEPT: z.coerce.number().int().min(1).default(10),
    BUILD_LOGS_KEPT_DAYS: z.coerce.number().int().min(1).default(90),
    DELIVERIES_KEPT: z.coerce.number().int().min(1).default(200),
    // Days the teams' activity log keeps an entry (the leading controller deletes older ones hourly).
    ACTIVITY_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),

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
    // Empty: the cluster's default StorageClass (k3s: local-path).
    STORAGE_CLASS: z.string().trim().default(''),
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
    // The bearer token the registry's push notifications carry (distribution's `notifications.endpoints[].headers`,
    // Harbor's webhook "Auth Header"): without it, POST /webhooks/registry answers 404 and builds end when Kaniko's pod does.
    REGISTRY_WEBHOOK_TOKEN: z.string().trim().min(16, 'REGISTRY_WEBHOOK_TOKEN must be at least 16 characters.').optional(),
    HARBOR_URL: url('HARBOR_URL').optional(),
    HARBOR_ADMIN_USERNAME: optionalString,
    HARBOR_ADMIN_PASSWORD: optionalString,
    // Which registry holds the images: `harbor` (HARBOR_*), `bundled` (a distribution
    // registry whose token server is the platform: /registry/token), `none` (a laptop).
    // Unset: `harbor` when a HARBOR_* setting is given, else `none`.
    REGISTRY_MODE: z.enum(['harbor', 'bundled', 'none'], { error: 'REGISTRY_MODE is harbor, bundled or none.' }).optional(),
    // The bundled registry: the host[:port] images are named with (what Kaniko and the
    // kubelet reach), and the URL the platform reaches its API at (retention, deletion).
    REGISTRY_HOST: z
      .string()
      .trim()
      .regex(/^[a-z0-9.-]+(:\d+)?$/, 'REGISTRY_HOST is a host name with an optional port, no scheme.')
      .optional(),
    REGISTRY_URL: url('REGISTRY_URL').optional(),
    // The registry's auth.token service and issuer: what its tokens are signed for and by.
    REGISTRY_TOKEN_SERVICE: z.string().trim().regex(/^[A-Za-z0-9._:-]+$/).default('dangus-registry'),
    REGISTRY_TOKEN_ISSUER: z.string().trim().regex(/^[A-Za-z0-9._:-]+$/).default('dangus-cloud'),
    // First-run setup: the SHA-256 (hex) of the one-time token the installer printed, and
    // when it expires (ISO 8601; 24 hours after the api first sees it when unset).
    SETUP_TOKEN_SHA256: z.string().trim().regex(/^[0-9a-f]{64}$/, 'SETUP_TOKEN_SHA256 is 64 lowercase hex digits (a SHA-256).').optional(),
    SETUP_TOKEN_EXPIRES_AT: z.iso.datetime({ offset: true, error: 'SETUP_TOKEN_EXPIRES_AT is an ISO 8601 time, e.g. 2026-12-08T12:00:00Z.' }).optional(),
    // Or a directory holding the two as files (the Secret dangus-setup, mounted), read at
    // request time: a new link of a re-run installer works without a restart.
    SETUP_TOKEN_DIR: z.string().trim().startsWith('/', 'SETUP_TOKEN_DIR is an absolute path.').optional(),
    // Where the DNS records the setup page shows point: the ingress's public IP or host name.
    DNS_TARGET: z
      .string()
      .trim()
      .refine((v) => isIP(v) !== 0 || /^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v), 'DNS_TARGET is an IP address or a host name.')
      .optional(),
    // Object storage per service: the S3 endpoint and its IAM admin (config/object-storage.ts).
    ...objectStorageEnv,
    // Custom domains and certificates (issue 34; README "Custom domains and TLS").
    DOMAIN_DNS_SERVERS: z
      .string()
      .default('')
      .transform((value) => value.split(',').map((server) => server.trim()).filter((server) => server !== ''))
      .refine((servers) => servers.every((server) => /^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9a-fA-F:]+\](:\d{1,5})?|[0-9a-fA-F:]+)$/.test(server)), 'DOMAIN_DNS_SERVERS is a comma-separated list of ip or ip:port ([ipv6]:port).'),
    DOMAIN_DNS_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(60).default(5),
    INGRESS_ADDRESSES: z
      .string()
      .default('')
      .transform((value) => value.split(',').map((address) => address.trim()).filter((address) => address !== ''))
      .refine((addresses) => addresses.every((address) => z.union([z.ipv4(), z.ipv6()]).safeParse(address).success), 'INGRESS_ADDRESSES is a comma-separated list of IP addresses.'),
    DOMAIN_HTTP_CHECK_PORT: z.coerce.number().int().min(1).max(65_535).default(80),
    CERT_ISSUER: optionalString,
    CERT_DNS01_ISSUER: optionalString,
    // The HTTP-01 rate limit: at most this many new certificates asked for in any hour;
    // the domains beyond it wait their turn (Let's Encrypt's limits are per account and domain).
    CERT_REQUESTS_PER_HOUR: z.coerce.number().int().min(1, 'CERT_REQUESTS_PER_HOUR is at least 1.').max(10_000).default(10),
  });

/**
 * Rules between settings. They read the raw strings so that they are reported
 * together with the per-field problems, not only once those are fixed.
 */
export function crossFieldProblems(env: Record<string, string | undefined>): string[] {
  const set = (name: string) => (env[name] ?? '').trim() !== '';
  const problems: string[] = [];
  if (set('GITHUB_CLIENT_ID') !== set('GITHUB_CLIENT_SECRET')) {
    const missing = set('GITHUB_CLIENT_ID') ? 'GITHUB_CLIENT_SECRET' : 'GITHUB_CLIENT_ID';
    problems.push(`${missing}: Set both GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET, or neither.`);
  }
  const appSettings = ['GITHUB_APP_ID', 'GITHUB_APP_PRIVATE_KEY', 'GITHUB_APP_WEBHOOK_SECRET', 'GITHUB_APP_CLIENT_ID', 'GITHUB_APP_CLIENT_SECRET', 'GITHUB_APP_SLUG'];
  if (appSettings.some(set) && !appSettings.every(set)) {
    for (const name of appSettings.filter((n) => !set(n))) problems.push(`${name}: Set all of ${appSettings.join(', ')}, or none (then an admin connects GitHub from the System page).`);
  }
  if (set('HARBOR_ADMIN_USERNAME') !== set('HARBOR_ADMIN_PASSWORD')) {
    const missing = set('HARBOR_ADMIN_USERNAME') ? 'HARBOR_ADMIN_PASSWORD' : 'HARBOR_ADMIN_USERNAME';
    problems.push(`${missing}: Set both HARBOR_ADMIN_USERNAME and HARBOR_ADMIN_PASSWORD (an account that may create Harbor projects and robot accounts), or neither.`);
  }
  if (set('HARBOR_USERNAME') !== set('HARBOR_PASSWORD')) {
    const missing = set('HARBOR_USERNAME') ? 'HARBOR_PASSWORD' : 'HARBOR_USERNAME';
    problems.push(`${missing}: Set both HARBOR_USERNAME and HARBOR_PASSWORD (a Harbor robot account that may push), or neither.`);
  }
  // Off loopback, the address users open cannot be guessed (0.0.0.0 is no address to open):
  // sign-in and every form compare their Origin with PUBLIC_URL.
  const host = (env.HOST ?? '').trim() || '127.0.0.1';
  if (!LOOPBACK_HOSTS.has(host) && !set('PUBLIC_URL')) {
    problems.push(
      `PUBLIC_URL: HOST is ${host}, so the platform is reached from other machines at an address it cannot guess: set PUBLIC_URL to the URL users open (e.g. https://dangus.example.com); sign-in and every form check it.`,
    );
  }
  if ((env.REGISTRY_MODE ?? '').trim() === 'bundled' && !set('REGISTRY_HOST')) {
    problems.push('REGISTRY_HOST: REGISTRY_MODE=bundled needs REGISTRY_HOST, the host[:port] of the bundled registry that builds push to and the kubelet pulls from.');
  }
  problems.push(...objectStorageProblems(env));
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
