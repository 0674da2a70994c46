import type { Server } from 'node:http';
import { SeaweedFsDriver } from './object-storage/seaweedfs-driver.js';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { SignInClients } from './auth/sign-in-client.js';
import { GitHubApp } from './github/github-app.js';
import { SessionStore } from './auth/sessions.js';
import type { StateSink } from './state-repo/state-sink.js';
import type { Config } from './config/config.js';
import { Encryptor } from './crypto/encryption.js';
import { OctokitGitHubApi, type GitHubApi } from './github/github-api.js';
import { createApp } from './http/app.js';
import { Drain } from './http/drain.js';
import type { WebhookRouteOptions } from './http/routes/webhooks.js';
import type { PushStatus } from './state-repo/state-pusher.js';
import type { StateHistory } from '@dangus/gitops-writer/history';
import { renderSettingsSchema } from '@dangus/gitops-writer/input-schema';
// A subpath, not the package's root: the api role never loads the renderer (api-role-modules.test.ts).
import { tenantQuotaOf } from '@dangus/gitops-writer/variables';
import type { Capacity } from './use-cases/capacity.js';
import type { RuntimeLogs } from './kube/runtime-logs.js';
import type { ServiceEvents } from './kube/service-events.js';
import type { ServiceMetrics } from './kube/service-metrics.js';
import type { ProjectUsage } from './kube/project-usage.js';
import type { Certificates } from './kube/certificates.js';
import { ProjectListCache } from './use-cases/project-list-cache.js';
import type { UseCaseContext } from './use-cases/context.js';
import type { PipelineHandle } from './pipeline/pipeline-handle.js';
import { EventBus } from './events/event-bus.js';
import { tenantRegistriesOf, type TenantRegistries } from './registry/tenant-registries.js';
import { FirstRunSetup } from './auth/first-run-setup.js';
import { setupTokenFromDir } from './auth/setup-token-file.js';
import { RepoVisibility } from './github/repo-visibility.js';

export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../ui/dist', import.meta.url));

export interface PlatformOptions {
  config: Config & { sessionSecret: string; encryption: { key: Buffer } };
  db: DataSource;
  logger: Logger;
  /** The door into the writer (the outbox), shared with the controller's pipeline. */
  stateSink: StateSink;
  /** The state repo, served read-only at `/state.git` and described at `/api/system/state-repo`. */
  stateRepo?: { head(): Promise<string | null>; sync?: () => Promise<unknown>; pushStatus?: () => PushStatus | null };
  /** The in-process applier's status, when this process runs one. */
  applierStatus?: () => unknown;
  /** Reads the state repo's history (with a state repo). */
  stateHistory?: StateHistory;
  /** Reads running services' logs (with a cluster). */
  runtimeLogs?: RuntimeLogs;
  /** Reads services' Kubernetes Events (with a cluster). */
  serviceEvents?: ServiceEvents;
  serviceMetrics?: ServiceMetrics;
  projectUsage?: ProjectUsage;
  /** cert-manager's Certificates of a namespace (issue 34). */
  certificates?: Certificates;
  github?: GitHubApi;
  uiDir?: string;
  /** Shared with the pipeline when this process runs one. */
  events?: EventBus;
  pipeline?: PipelineHandle;
  /** Limits of webhook bodies (defaults for production; tests shorten them). */
  webhooks?: WebhookRouteOptions;
  /** Each tenant's registry credential; made from the config when absent. */
  registries?: TenantRegistries;
  /** The graceful stop's state, when the process shares it with other parts (main.ts). */
  drain?: Drain;
}

/** What replicas and sizes are checked against: the sizes, and the quota the namespaces get. */
export function capacityOf(config: Pick<PlatformOptions['config'], 'baseDomain' | 'harborHost' | 'harborProject' | 'render' | 'sizes'>): Capacity {
  const settings = renderSettingsSchema.parse({ baseDomain: config.baseDomain, harborHost: config.harborHost, harborProject: config.harborProject, ...config.render });
  return { sizes: config.sizes, quota: settings.quota, teamQuota: tenantQuotaOf(settings, true), limitRange: settings.limitRange };
}

/** The use cases and the HTTP app of a process that serves (roles/compose.ts assembles it). */
export function createPlatform(options: PlatformOptions) {
  const { config, db, logger } = options;
  const encryptor = new Encryptor(config.encryption.keyId, config.encryption.key, config.encryption.oldKeys);
  const sessions = new SessionStore(db, config.sessionSecret, config.sessionTtlMs);
  const githubApp = new GitHubApp({ db, encryptor, fromEnvironment: config.github.app, webUrl: config.github.webUrl, apiUrl: config.github.apiUrl });
  const readOrgs = config.access.allowedOrgs.length > 0;
  const signIn = new SignInClients(
    { oauth: config.github.oauth, callbackUrl: config.github.callbackUrl, webUrl: config.github.webUrl, apiUrl: config.github.apiUrl, readOrgs },
    githubApp,
  );
  const github = options.github ?? new OctokitGitHubApi(config.github.apiUrl);
  const ctx: UseCaseContext = {
    db,
    events: options.events ?? new EventBus(),
    ...(options.pipeline ? { pipeline: options.pipeline } : {}),
    encryptor,
    stateSink: options.stateSink,
    projectListCache: new ProjectListCache(),
    registries: options.registries ?? tenantRegistriesOf(config, db, encryptor, logger),
    github,
    githubApp,
    repoVisibility: new RepoVisibility(github),
    // The cluster readers come with a cluster, and only then (kube/cluster-readers.ts).
    clusterConnected: options.runtimeLogs !== undefined,
    logger,
    limits: config.limits,
    capacity: capacityOf(config),
    metricsSampleMs: config.metricsSampleMs,
    ...(options.stateHistory ? { history: options.stateHistory } : {}),
    ...(options.runtimeLogs ? { runtimeLogs: options.runtimeLogs } : {}),
    ...(options.serviceEvents ? { serviceEvents: options.serviceEvents } : {}),
    ...(options.serviceMetrics ? { serviceMetrics: options.serviceMetrics } : {}),
    ...(options.projectUsage ? { projectUsage: options.projectUsage } : {}),
    ...(config.objectStorage ? { objectStorage: { driver: new SeaweedFsDriver(config.objectStorage), settings: config.objectStorage } } : {}),
    ...(options.certificates ? { certificates: options.certificates } : {}),
    domains: config.domains,
    settings: {
      baseDomain: config.baseDomain,
      webhookBaseUrl: config.webhookBaseUrl,
      publicScheme: config.secureCookies ? ('https' as const) : ('http' as const),
    },
  };
  const drain = options.drain ?? new Drain();
  const app = createApp({
    drain,
    ctx,
    sessions,
    signIn,
    setup: { firstRun: new FirstRunSetup({ db, configured: config.setupToken, ...(config.setupTokenDir ? { read: setupTokenFromDir(config.setupTokenDir) } : {}) }), baseDomain: config.baseDomain, dnsTarget: config.dnsTarget },
    githubWebUrl: config.github.webUrl,
    manifest: { publicUrl: config.publicUrl, callbackUrl: config.github.callbackUrl, readOrgMembers: readOrgs },
    localAuth: config.localAuth,
    access: config.access,
    publicUrl: config.publicUrl,
    cookies: { secure: config.secureCookies },
    uiDir: options.uiDir ?? DEFAULT_UI_DIR,
    logger,
    applierStatus: options.applierStatus,
    // Without any registry setting (a laptop) there is no shared credential to warn about.
    registryStatus: () => (config.registryConfigured ? ctx.registries.status : { mode: 'none', warning: null }),
    ...(options.webhooks ? { webhooks: options.webhooks } : {}),
    registryWebhook: {
      token: config.registryWebhookToken,
      harborHost: config.harborHost,
      harborProject: config.harborProject,
      registryLayout: config.render.registryLayout,
    },
    stateRepo: options.stateRepo
      ? {
          dir: config.stateRepoDir,
          token: config.stateRepoToken,
          head: () => options.stateRepo?.head() ?? Promise.resolve(null),
          ...(options.stateRepo.sync ? { beforeAdvertise: options.stateRepo.sync } : {}),
          pushStatus: () => options.stateRepo?.pushStatus?.() ?? null,
        }
      : undefined,
  });
  return { app, ctx, sessions, encryptor, drain };
}

export function listen(app: ReturnType<typeof createPlatform>['app'], host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(server)));
  });
}
