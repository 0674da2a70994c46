import type { StateHistory } from '@dangus/gitops-writer';
import { startBucketSweeper } from '../object-storage/sweeper.js';
import { SeaweedFsDriver } from '../object-storage/seaweedfs-driver.js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { commitPokes } from '../state-repo/commit-pokes.js';
import type { PushStatus } from '../state-repo/state-pusher.js';
import type { DurableState } from '../state-repo/durable-state.js';
import { startInProcessApplier } from '../kube/in-process-applier.js';
import { openStateWriter } from '../state-repo/state-writer.js';
import type { Config } from '../config/config.js';
import type { Encryptor } from '../crypto/encryption.js';
import type { GitHubApi } from '../github/github-api.js';
import { GitHubApp } from '../github/github-app.js';
import { startInstallationSync } from '../github/installations.js';
import { startBindingRecheck, type RecheckOutcome } from '../github/binding-recheck.js';
import type { EventBus } from '../events/event-bus.js';
import { watchNodeAddresses } from '../pipeline/node-addresses.js';
import { preparePipeline, tenantSecretsFor, type PipelineTuning, type RunningPipeline } from '../pipeline/start-pipeline.js';
import { tenantRegistriesOf } from '../registry/tenant-registries.js';
import type { AppPodSource } from '../pipeline/watcher.js';
import { IntentProcessor } from '../coordination/outbox.js';
import type { StateSink } from '../state-repo/state-sink.js';
import type { Applier } from '@dangus/applier';
import { CHANNELS, type PgListener } from '../coordination/pg-listener.js';
import { startCertificateWatch } from '../domains/certificate-watch.js';
import { startDomainScheduler, type DomainScheduler } from '../domains/domain-scheduler.js';
import { Certificates } from '../kube/certificates.js';
import { startPreviewReconcile } from '../use-cases/preview-reconcile.js';
import { reportPreviewBuild } from '../use-cases/preview-build-reports.js';
import { startActivityRetention } from '../use-cases/activity-retention.js';
import { capacityOf } from '../server.js';

/** Between full reconciles of the repo with the database (a change whose intent was never recorded). */
const RECONCILE_MS = 10 * 60_000;
/** Between reconciles of previews: time-to-lives, and pull requests whose webhook was missed. */
const PREVIEWS_RECONCILE_MS = 5 * 60_000;

export interface ControllerDeps {
  config: Config & { encryption: { key: Buffer } };
  db: DataSource;
  encryptor: Encryptor;
  kube: KubeConfig | undefined;
  github: GitHubApi;
  events: EventBus;
  listener: PgListener;
  durable: DurableState;
  history: StateHistory;
  /**
   * The one door into the writer (the outbox): the pipeline's commits (build Job, rollout,
   * automatic rollback) are intents like a user's, committed by this controller's processor.
   */
  stateSink: StateSink;
  logger: Logger;
  /** Gives the leadership back (a commit was refused: another controller writes). */
  resign: (reason: string) => void;
  /** Test overrides of the pipeline's periods. */
  tuning?: PipelineTuning;
}

/** The controller while it leads: what `lead()` of the election starts. */
export interface RunningController {
  stop(): Promise<void>;
  /** The in-process applier's status with the informers', when it runs one. */
  applierStatus: (() => unknown) | undefined;
  pipeline: RunningPipeline | undefined;
  /** The in-process applier, when this controller runs one (APPLIER=builtin, with a cluster). */
  applier: Applier | undefined;
  processor: IntentProcessor;
  /** The state-repo writer: the intents' target, its repo, its push to a remote and the history it keeps current. */
  writer: Awaited<ReturnType<typeof openStateWriter>>;
  head(): Promise<string | null>;
  /** Pushes to the state repo's remote, when one is configured. */
  pushStatus(): PushStatus | null;
  /** Deletes the kept buckets whose grace period is over now (it also runs every ten minutes); with object storage only. */
  sweepBuckets?: () => Promise<number>;
  /** The custom domains' scheduled DNS looks (issue 34). */
  domains: DomainScheduler;
  /** Deletes the activity log's entries past ACTIVITY_RETENTION_DAYS before `now` (it also runs hourly); returns how many. */
  pruneActivity?: (now?: Date) => Promise<number>;
  /** Re-checks the repository bindings due now (a prover without the right to bind, a proof over a day old); it also runs hourly. */
  recheckBindings: () => Promise<Record<RecheckOutcome, number>>;
  /** The renewal watch (with a cluster and CERT_ISSUER): one look now (tests; a timer looks otherwise). */
  certificates?: { pass(): Promise<number> };
}

/**
 * The controller's work, started when this process becomes the leader
 * (docs/architecture.md#process-roles): the state repo is brought to the durable head (or,
 * on the first start after an upgrade, the local history is stored), the intents
 * recorded while no controller led are committed in order, each with its author, a
 * reconcile heals what no intent recorded, then the outbox, the pipeline (informers,
 * build logs), the pokes and the in-process applier run until `stop()`.
 */
export async function startController(deps: ControllerDeps): Promise<RunningController> {
  const { config, logger } = deps;
  const head = await deps.durable.sync({ seed: true });
  logger.info({ head }, 'state repo at the durable head');
  const applier =
    deps.kube && config.applier === 'builtin' ? startInProcessApplier({ kube: deps.kube, stateRepoDir: config.stateRepoDir, logger }) : undefined;
  const pokes = commitPokes(config, deps.kube, logger.child({ component: 'commit-poke' }));
  // One registry credential source for the tenants' pull Secrets and their builds.
  const registries = tenantRegistriesOf(config, deps.db, deps.encryptor, logger);
  const tenantSecrets = deps.kube ? tenantSecretsFor(deps.kube, { db: deps.db, encryptor: deps.encryptor, logger, config, registries }) : undefined;
  const writer = await openStateWriter({
    config,
    db: deps.db,
    encryptor: deps.encryptor,
    encryptionKey: config.encryption.key,
    logger,
    history: deps.history,
    beforeBranchMoves: deps.durable.persist,
    ...(tenantSecrets ? { effects: tenantSecrets } : {}),
    onCommit: () => {
      applier?.notify();
      for (const poke of pokes) poke.poke();
    },
  });
  const reconcile = async () => {
    const result = await writer.sink.reconcile();
    logger.info({ head: result.head, committed: result.commit !== null, failedTenants: result.failed }, 'state repo reconciled with the database');
  };
  // The nodes' addresses are read before the first render: no commit is made without them.
  const nodes = deps.kube
    ? await watchNodeAddresses(deps.kube, writer.sink, logger.child({ component: 'nodes' })).catch(async (error: unknown) => {
        await applier?.stop();
        throw error;
      })
    : undefined;
  const githubApp = new GitHubApp({ db: deps.db, encryptor: deps.encryptor, fromEnvironment: config.github.app, webUrl: config.github.webUrl, apiUrl: config.github.apiUrl });
  const previewContext = {
    db: deps.db,
    stateSink: deps.stateSink,
    githubApp,
    logger: logger.child({ component: 'previews' }),
    capacity: capacityOf(config),
    settings: { baseDomain: config.baseDomain, webhookBaseUrl: config.webhookBaseUrl, publicScheme: config.secureCookies ? ('https' as const) : ('http' as const) },
  };
  const pipeline = deps.kube && tenantSecrets
    ? preparePipeline({
        kube: deps.kube,
        config,
        db: deps.db,
        encryptor: deps.encryptor,
        stateSink: deps.stateSink,
        tenantSecrets,
        registries,
        github: deps.github,
        githubApp,
        events: deps.events,
        logger,
        ...(deps.tuning ? { tuning: deps.tuning } : {}),
        onPreviewBuilt: (previewId) => reportPreviewBuild(previewContext, previewId),
      })
    : undefined;
  if (!pipeline) logger.warn('no cluster (KUBECONFIG or in-cluster config): deployments stay pending');
  const offKick = deps.listener.on(CHANNELS.kick, (payload) => pipeline?.pipeline.kick(payload.split(',').filter((id) => id !== '')));
  const processor = new IntentProcessor({
    db: deps.db,
    listener: deps.listener,
    target: writer.sink,
    logger: logger.child({ component: 'outbox' }),
    onDeposed: (error) => deps.resign(error.message),
  });
  const stopAll = async () => {
    offKick();
    // Intents first (the one being committed finishes), then the pipeline stores the log it has.
    await processor.stop();
    writer.pusher?.stop();
    await Promise.allSettled([pipeline?.stop(), applier?.stop(), nodes?.stop()]);
  };
  try {
    // The changes made while no controller led are committed first, each with its
    // own author and subject; the reconcile after them heals only what no intent recorded.
    // The pipeline's own commits (builds, rollouts) start after them.
    await processor.idle();
    // Before the reconcile renders Deployments that name the tenants' pull Secret.
    await tenantSecrets?.writePullSecrets();
    await reconcile();
  } catch (error) {
    await stopAll();
    throw error;
  }
  pipeline?.start();
  writer.pusher?.schedule();
  // The GitHub App's installations, re-read from GitHub: a missed webhook heals.
  const installations = startInstallationSync({ db: deps.db, app: githubApp, logger: logger.child({ component: 'github-app' }) });
  // Proven repository bindings, proven again (or cleared) once their prover lost the right or daily.
  const bindings = startBindingRecheck({ db: deps.db, encryptor: deps.encryptor, githubApp, logger: logger.child({ component: 'repository-bindings' }) });
  // An App from GITHUB_APP_*: the users' OAuth tokens (repo scope) go, as when an admin connects one.
  githubApp.retireOAuthTokens().then(
    (retired) => {
      if (retired > 0) logger.info({ retired }, 'deleted the OAuth tokens of users: sign-in goes through the GitHub App');
    },
    (error: unknown) => logger.warn({ err: error }, 'could not delete the OAuth tokens'),
  );
  const domains = startDomainScheduler({ db: deps.db, stateSink: deps.stateSink, logger: logger.child({ component: 'domains' }), baseDomain: config.baseDomain, settings: config.domains });
  // A certificate that was valid and fails to renew: an event of its service (issue 34).
  const certificateWatch = deps.kube && config.domains.issuer ? startCertificateWatch({ db: deps.db, list: ((c) => () => c.list())(new Certificates(deps.kube)), logger: logger.child({ component: 'certificates' }) }) : undefined;
  const timer = setInterval(() => void reconcile().catch((error: unknown) => logger.warn({ err: error }, 'reconcile failed')), RECONCILE_MS);
  timer.unref();
  // Kept buckets whose grace period is over go (object storage).
  const buckets = config.objectStorage
    ? startBucketSweeper({ db: deps.db, driver: new SeaweedFsDriver(config.objectStorage), logger: logger.child({ component: 'buckets' }) })
    : undefined;
  const activity = startActivityRetention({ db: deps.db, days: config.activityRetentionDays, logger: logger.child({ component: 'activity' }) });
  const previewsTimer = startPreviewReconcile(previewContext, PREVIEWS_RECONCILE_MS);
  return {
    pipeline,
    applier,
    processor,
    writer,
    head: () => writer.repo.head(),
    pushStatus: () => writer.pusher?.status ?? null,
    domains,
    ...(certificateWatch ? { certificates: { pass: () => certificateWatch.pass() } } : {}),
    applierStatus: applier ? () => ({ ...applier.status(), watcher: pipeline?.watcher.status() ?? null }) : undefined,
    ...(buckets ? { sweepBuckets: () => buckets.sweep() } : {}),
    pruneActivity: activity.prune,
    recheckBindings: () => bindings.pass(),
    async stop() {
      clearInterval(timer);
      bindings.stop();
      activity.stop();
      certificateWatch?.stop();
      clearInterval(previewsTimer);
      installations.stop();
      await buckets?.stop();
      await domains.stop();
      await stopAll();
    },
  };
}

/** The leading controller's informer cache, for runtime logs (a list when there is none). */
export function leaderPods(current: () => RunningController | undefined): AppPodSource {
  return {
    synced: () => current()?.pipeline?.watcher.synced() ?? false,
    appPods: (namespace, service) => current()?.pipeline?.watcher.appPods(namespace, service) ?? [],
  };
}
