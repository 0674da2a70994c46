import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { SessionStore } from '../auth/sessions.js';
import type { SignInClients } from '../auth/sign-in-client.js';
import type { ManifestSettings } from '../use-cases/github-app.js';
import type { UseCaseContext } from '../use-cases/context.js';
import type { Drain } from './drain.js';
import { errorHandler, notFound } from './middleware/error-handler.js';
import { originCheck } from './middleware/origin-check.js';
import { requireUser, type CookieSettings } from './middleware/session.js';
import { adminRoutes } from './routes/admin.js';
import { apiRoutes } from './routes/api.js';
import { objectStorageRoutes } from './routes/object-storage.js';
import { previewRoutes } from './routes/previews.js';
import { authRoutes } from './routes/auth.js';
import { githubAppApiRoutes, githubAppReturnRoutes } from './routes/github-app.js';
import { healthRoutes } from './routes/health.js';
import { registryTokenRoutes } from './routes/registry-token.js';
import { dnsRoutes, setupRoutes } from './routes/setup.js';
import type { FirstRunSetup } from '../auth/first-run-setup.js';
import { domainCheckRoutes } from './routes/domain-check.js';
import { domainRoutes } from './routes/domains.js';
import { systemCertificateRoutes } from './routes/system-certificates.js';
import { stateGitRoutes } from './routes/state-git.js';
import { streamRoutes } from './routes/streams.js';
import { teamRoutes } from './routes/teams.js';
import { projectMemberRoutes } from './routes/project-members.js';
import { ProjectStreams } from './project-streams.js';
import { withRequestOrigin } from '../db/request-origin.js';
import { systemRoutes, type StateRepoView } from './routes/system.js';
import { uiRoutes } from './routes/ui.js';
import { webhookRoutes, type WebhookRouteOptions } from './routes/webhooks.js';
import { registryWebhookRoutes } from './routes/registry-webhooks.js';
import type { RegistryWebhookSettings } from '../use-cases/registry-events.js';
import { openApiRoutes } from './openapi/route.js';
import type { RegistryStatus } from '../registry/tenant-registries.js';
import type { AccessPolicy } from '../config/config.js';
import { TenantFailures } from '../state-repo/tenant-failures.js';
import { clusterStatus } from '../use-cases/service-abilities.js';

export interface AppDeps {
  ctx: UseCaseContext;
  sessions: SessionStore;
  signIn: SignInClients;
  /** GitHub's web origin (GITHUB_WEB_URL): the App manifest form posts there. */
  githubWebUrl: string;
  /** What the App manifest is rendered from. */
  manifest: ManifestSettings;
  localAuth: boolean;
  access: AccessPolicy;
  publicUrl: string;
  cookies: CookieSettings;
  uiDir: string;
  logger: Logger;
  stateRepo: (StateRepoView & { dir: string; token: string | undefined; beforeAdvertise?: () => Promise<unknown> }) | undefined;
  applierStatus: (() => unknown) | undefined;
  /** Whether tenants have registry credentials of their own. */
  registryStatus: () => RegistryStatus;
  /** Limits of webhook bodies (defaults for production; tests shorten them). */
  webhooks?: WebhookRouteOptions;
  /** The graceful stop's bookkeeping. */
  drain: Drain;
  /** The registry's push notifications (`/webhooks/registry`); off without a token. */
  registryWebhook?: RegistryWebhookSettings;
  /** First-run setup (the installer's one-time link) and where its DNS records point. */
  setup?: { firstRun: FirstRunSetup; baseDomain: string; dnsTarget: string | null };
}

/** JSON bodies of the API are small; the largest legitimate one is an env value (32 KiB). */
const JSON_LIMIT = '64kb';
/** But for a pasted `.env` file: up to ENV_FILE_MAX characters (common/src/schemas.ts), escaped in JSON. */
const ENV_FILE_JSON_LIMIT = '4mb';
const ENV_FILE_PATH = /^\/services\/[^/]+\/env\/import(?:\/preview)?$/;

/** One origin: `/api`, `/auth`, `/webhooks`, health probes, and the UI at every other path. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback, uniquelocal');
  const https = new URL(deps.publicUrl).protocol === 'https:';
  app.use(
    helmet({
      // The UI is one bundle from this origin: no inline script, no other origin but
      // GitHub's avatars. Tenant apps live on sibling subdomains and cannot frame it.
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:', 'https://avatars.githubusercontent.com'],
          connectSrc: ["'self'"],
          fontSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          // The System page's "Connect GitHub" posts the App manifest to GitHub's form.
          formAction: ["'self'", new URL(deps.githubWebUrl).origin],
          frameAncestors: ["'none'"],
          ...(https ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      // Only behind TLS: over plain http (the embedded default on loopback) a browser ignores it anyway.
      strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: false } : false,
      referrerPolicy: { policy: 'same-origin' },
      xFrameOptions: { action: 'deny' },
      crossOriginEmbedderPolicy: false,
    }),
  );
  // API and auth answers carry secrets (a service's webhook secret) and per-user data:
  // never stored by a browser or a proxy.
  app.use(['/api', '/auth', '/webhooks'], (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  // Where each request came from, for the activity log (db/request-origin.ts).
  app.use((req, _res, next) => {
    withRequestOrigin({ ip: req.ip ?? null, userAgent: req.get('User-Agent') ?? null }, next);
  });
  app.use(deps.drain.middleware);
  app.use(healthRoutes(deps.ctx.db, deps.drain));
  app.use(domainCheckRoutes(deps.ctx.db));

  // The bundled registry's token server (REGISTRY_MODE=bundled), called by registry clients.
  if (deps.ctx.registries.tokens) app.use(registryTokenRoutes(deps.ctx.registries.tokens));

  // Before any JSON parser: the signature is over the raw bytes.
  app.use('/webhooks', webhookRoutes(deps.ctx, deps.webhooks));
  app.use('/webhooks', registryWebhookRoutes(deps.ctx, deps.registryWebhook ?? { token: undefined, harborHost: '', harborProject: '', registryLayout: 'shared' }));

  const jsonTypes = ['application/json', 'application/*+json'];
  const json = express.json({ limit: JSON_LIMIT, strict: true, type: jsonTypes });
  const envFileJson = express.json({ limit: ENV_FILE_JSON_LIMIT, strict: true, type: jsonTypes });
  // Read after the session check, as every body of /api is.
  const apiJson: express.RequestHandler = (req, res, next) => (ENV_FILE_PATH.test(req.path) ? envFileJson : json)(req, res, next);
  const origin = originCheck(deps.publicUrl);
  const projectStreams = new ProjectStreams(deps.ctx.db);
  app.use(
    '/auth',
    origin,
    json,
    authRoutes({
      db: deps.ctx.db,
      encryptor: deps.ctx.encryptor,
      sessions: deps.sessions,
      signIn: deps.signIn,
      localAuth: deps.localAuth,
      access: deps.access,
      cookies: deps.cookies,
      logger: deps.logger,
      cluster: clusterStatus(deps.ctx),
      ...(deps.setup ? { setup: deps.setup.firstRun } : {}),
    }),
  );
  if (deps.setup) app.use('/auth', origin, json, setupRoutes({ setup: deps.setup.firstRun, encryptor: deps.ctx.encryptor, sessions: deps.sessions, cookies: deps.cookies }));
  app.use('/auth', githubAppReturnRoutes(deps.ctx, deps.sessions, deps.cookies));
  if (deps.stateRepo) {
    app.use('/state.git', stateGitRoutes({ repoDir: deps.stateRepo.dir, token: deps.stateRepo.token, logger: deps.logger, ...(deps.stateRepo.beforeAdvertise ? { beforeAdvertise: deps.stateRepo.beforeAdvertise } : {}) }));
  }
  // The API's own description: public, before the session check (README.md, HTTP surface).
  app.use('/api', openApiRoutes(app));
  app.use('/api', origin, requireUser(deps.sessions, deps.cookies), apiJson, apiRoutes(deps.ctx), objectStorageRoutes(deps.ctx), domainRoutes(deps.ctx), systemCertificateRoutes(deps.ctx), previewRoutes(deps.ctx), githubAppApiRoutes(deps.ctx, deps.manifest), teamRoutes(deps.ctx, projectStreams), projectMemberRoutes(deps.ctx, projectStreams), streamRoutes(deps.ctx, deps.sessions, deps.drain, projectStreams), adminRoutes(deps.ctx, deps.sessions), ...(deps.setup ? [dnsRoutes({ publicUrl: deps.publicUrl, baseDomain: deps.setup.baseDomain, target: deps.setup.dnsTarget })] : []), systemRoutes({ stateRepo: deps.stateRepo, applierStatus: deps.applierStatus, registryStatus: deps.registryStatus, tenantFailures: new TenantFailures(deps.ctx.db) }));
  app.use(['/api', '/auth', '/webhooks'], notFound);
  app.use(uiRoutes(deps.uiDir));
  app.use(errorHandler(deps.logger));
  return app;
}
