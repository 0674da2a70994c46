import { tenantRegistriesOf, type TenantRegistries } from '../registry/tenant-registries.js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { StateSink } from '../state-repo/state-sink.js';
import type { Config } from '../config/config.js';
import type { Encryptor } from '../crypto/encryption.js';
import type { GitHubApi } from '../github/github-api.js';
import type { GitHubApp } from '../github/github-app.js';
import { BuildLogs, KubernetesLogSource, deploymentLogStore } from './build-logs.js';
import { ServiceEvents } from '../kube/service-events.js';
import { TenantSecrets } from './tenant-secrets.js';
import { KubernetesClusterSecrets } from './cluster-secrets.js';
import type { EventBus } from '../events/event-bus.js';
import { DeploymentPipeline, type PipelineDeps, type PipelineSettings } from './pipeline.js';
import { PreviewBuilds } from './preview-builds.js';
import { ClusterWatcher } from './watcher.js';

export interface RunningPipeline {
  pipeline: DeploymentPipeline;
  /** The builds of previews of pull requests, through the same Job and watcher. */
  previews: PreviewBuilds;
  watcher: ClusterWatcher;
  stop(): Promise<void>;
  /**
   * Stops the previews' builds and starts them afresh, as a controller restart does: nothing
   * the old one held in memory carries over (what they wrote is in rows: preview_build_secrets).
   */
  restartPreviews(): Promise<void>;
}

/**
 * The Secrets around commits on the cluster of `kube`: the env Secrets, which the state-repo
 * writer alone writes, and the tenants' pull Secret with `registries`' credentials when the
 * config names one (written by the pipeline before a build, and for every tenant at start).
 */
export function tenantSecretsFor(
  kube: KubeConfig,
  deps: { db: DataSource; encryptor: Encryptor; logger: Logger; config: Pick<Config, 'harborHost' | 'tenantPullSecret'>; registries: TenantRegistries },
): TenantSecrets {
  const { config, registries, ...rest } = deps;
  const pull = config.tenantPullSecret ? { name: config.tenantPullSecret, registryHost: config.harborHost, registries } : null;
  return new TenantSecrets({ ...rest, pull, secrets: new KubernetesClusterSecrets(kube) });
}

/** A pipeline made but not started: its effects (env Secrets) work, nothing is watched or reconciled yet. */
export interface PreparedPipeline extends RunningPipeline {
  start(): void;
}

/** Overrides for tests: resync period, start timeout. */
export type PipelineTuning = Pick<PipelineSettings, 'resyncMs' | 'buildStartTimeoutMs'>;

type PipelineOptions = {
  kube: KubeConfig;
  config: Pick<Config, 'publicUrl' | 'harborHost' | 'harborProject' | 'registryCredentials' | 'harborAdmin' | 'render' | 'baseDomain' | 'secureCookies'>;
  /** Each tenant's registry credential; made from the config when absent. */
  registries?: TenantRegistries;
  db: DataSource;
  encryptor: Encryptor;
  /** The door into the writer the use cases use too (the outbox). */
  stateSink: StateSink;
  /** The tenants' Secrets, shared with the state-repo writer ({@link tenantSecretsFor}): the pull Secret before a build. */
  tenantSecrets: TenantSecrets;
  github: GitHubApi;
  /** The GitHub App (builds of the repositories it covers fetch with its installation tokens). */
  githubApp?: GitHubApp | undefined;
  events: EventBus;
  logger: Logger;
  tuning?: PipelineTuning;
  /** A preview's build ended: GitHub is told (the controller wires the use case). */
  onPreviewBuilt?: (previewId: string) => Promise<void>;
};

/**
 * The push-to-live pipeline of the leading controller, wired and not started (the
 * controller commits what waits before the pipeline commits): informers on the cluster,
 * the deployment rows' reconciler, build-log capture. Once started, every non-final row is
 * picked up at once (a restart continues where the last one stopped).
 */
export function preparePipeline(options: PipelineOptions): PreparedPipeline {
  const logger = options.logger.child({ component: 'pipeline' });
  const logSource = new KubernetesLogSource(options.kube);
  const logs = new BuildLogs({ store: deploymentLogStore(options.db, options.events), source: logSource, logger });
  // The watcher and the pipeline know each other: the watcher calls back only after start(),
  // when `pipeline` below is made.
  const watcher = new ClusterWatcher({
    kube: options.kube,
    logger: options.logger.child({ component: 'watcher' }),
    onChange: (id) => {
      pipeline.kick([id]);
      previews.kick(id);
    },
    onResync: () => {
      pipeline.reconcileActive();
      previews.reconcileActive();
    },
  });
  const serviceEvents = new ServiceEvents(options.kube);
  const deps: PipelineDeps = {
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
      buildDeadlineSeconds: options.config.render.buildDeadlineSeconds,
      baseDomain: options.config.baseDomain,
      publicScheme: options.config.secureCookies ? 'https' : 'http',
      ...options.tuning,
    },
  };
  const pipeline = new DeploymentPipeline(deps);
  const newPreviews = () => new PreviewBuilds({ ...deps, logSource, ...(options.onPreviewBuilt ? { onFinished: options.onPreviewBuilt } : {}) });
  let previews = newPreviews();
  return {
    pipeline,
    get previews() {
      return previews;
    },
    watcher,
    async restartPreviews() {
      await previews.stop();
      previews = newPreviews();
      previews.start();
    },
    start() {
      watcher.start();
      pipeline.start();
      previews.start();
    },
    async stop() {
      await watcher.stop();
      await pipeline.stop();
      await previews.stop();
    },
  };
}
