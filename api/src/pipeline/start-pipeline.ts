import { tenantRegistriesOf, type TenantRegistries } from '../registry/tenant-registries.js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { StateSink } from '../state-repo/state-sink.js';
import type { Config } from '../config/config.js';
import type { Encryptor } from '../crypto/encryption.js';
import type { GitHubApi } from '../github/github-api.js';
import type { GitHubApp } from '../github/github-app.js';
import { BuildLogs, KubernetesLogSource } from './build-logs.js';
import { ServiceEvents } from '../kube/service-events.js';
import { TenantSecrets } from './tenant-secrets.js';
import { KubernetesClusterSecrets } from './cluster-secrets.js';
import type { EventBus } from '../events/event-bus.js';
import { DeploymentPipeline, type PipelineSettings } from './pipeline.js';
import { ClusterWatcher } from './watcher.js';

export interface RunningPipeline {
  pipeline: DeploymentPipeline;
  watcher: ClusterWatcher;
  stop(): Promise<void>;
}

/** The Secrets the state-repo writer and the pipeline write around commits, on the cluster of `kube`. */
export function tenantSecretsFor(kube: KubeConfig, deps: { db: DataSource; encryptor: Encryptor; logger: Logger }): TenantSecrets {
  return new TenantSecrets({ ...deps, secrets: new KubernetesClusterSecrets(kube) });
}

/** A pipeline made but not started: its effects (env Secrets) work, nothing is watched or reconciled yet. */
export interface PreparedPipeline extends RunningPipeline {
  start(): void;
}

/**
 * The push-to-live pipeline of one api process: informers on the cluster, the
 * deployment rows' reconciler, build-log capture. Every non-final row is
 * picked up at once (an api restart continues where the last one stopped).
 */
export function startPipeline(options: PipelineOptions): RunningPipeline {
  const pipeline = preparePipeline(options);
  pipeline.start();
  return pipeline;
}

type PipelineOptions = {
  kube: KubeConfig;
  config: Pick<Config, 'publicUrl' | 'harborHost' | 'harborProject' | 'registryCredentials' | 'harborAdmin' | 'render' | 'baseDomain' | 'secureCookies'>;
  /** Each tenant's registry credential; made from the config when absent. */
  registries?: TenantRegistries;
  db: DataSource;
  encryptor: Encryptor;
  stateSink: StateSink;
  /** The Secrets around commits, shared with the state-repo writer ({@link tenantSecretsFor}). */
  tenantSecrets: TenantSecrets;
  github: GitHubApi;
  /** The GitHub App (builds of the repositories it covers fetch with its installation tokens). */
  githubApp?: GitHubApp | undefined;
  events: EventBus;
  logger: Logger;
  /** Overrides for tests: resync period, start timeout. */
  tuning?: Pick<PipelineSettings, 'resyncMs' | 'buildStartTimeoutMs' | 'reportsRetry'>;
};

/** The pipeline, wired and not started: the controller commits what waits before the pipeline commits. */
export function preparePipeline(options: PipelineOptions): PreparedPipeline {
  const logger = options.logger.child({ component: 'pipeline' });
  const logs = new BuildLogs({ db: options.db, events: options.events, source: new KubernetesLogSource(options.kube), logger });
  // The watcher and the pipeline know each other: the watcher's callbacks run only after start().
  const handle: { pipeline?: DeploymentPipeline } = {};
  const watcher = new ClusterWatcher({
    kube: options.kube,
    logger: options.logger.child({ component: 'watcher' }),
    onChange: (id) => handle.pipeline?.kick([id]),
    onResync: () => handle.pipeline?.reconcileActive(),
  });
  const serviceEvents = new ServiceEvents(options.kube);
  const pipeline = new DeploymentPipeline({
    db: options.db,
    encryptor: options.encryptor,
    stateSink: options.stateSink,
    github: options.github,
    githubApp: options.githubApp,
    events: options.events,
    logger,
    secrets: new KubernetesClusterSecrets(options.kube),
    tenantSecrets: options.tenantSecrets,
    cluster: watcher,
    buildWaiting: (namespace, job) => serviceEvents.buildWaiting(namespace, job),
    logs,
    registries: options.registries ?? tenantRegistriesOf(options.config, options.db, options.encryptor, logger),
    settings: {
      publicUrl: options.config.publicUrl,
      harborHost: options.config.harborHost,
      harborProject: options.config.harborProject,
      registryLayout: options.config.render.registryLayout,
      tenantPullSecret: options.config.render.registryLayout === 'per-tenant' ? options.config.render.imagePullSecret : null,
      buildDeadlineSeconds: options.config.render.buildDeadlineSeconds,
      baseDomain: options.config.baseDomain,
      publicScheme: options.config.secureCookies ? 'https' : 'http',
      ...options.tuning,
    },
  });
  handle.pipeline = pipeline;
  return {
    pipeline,
    watcher,
    start() {
      watcher.start();
      pipeline.start();
    },
    async stop() {
      await watcher.stop();
      await pipeline.stop();
    },
  };
}
