/**
 * The composition root (docs/architecture.md#process-roles): the one place where a process
 * is assembled, for each role (`all`, `api`, `controller`), by main.ts and by the tests
 * (api/test/support/platform.ts) alike. It takes the configuration and the resources
 * already opened (database, cluster, GitHub client, logger) and returns the running role.
 *
 * - every role: the listener (LISTEN/NOTIFY), the event bus through PostgreSQL, the outbox
 *   (the one door into the writer, for the use cases and the pipeline), the durable state repo;
 * - `all` and `controller`: the leader election, whose leader runs the controller
 *   (roles/controller.ts: the writer, the intents, the pipeline, the applier);
 * - `all` and `api`: the HTTP side (use cases, routes, streams) and its housekeeping;
 *   `api` serves a read-only mirror of the state repo;
 * - `controller`: probes and the election's status only.
 *
 * The controller's modules (writer, pipeline, applier) are imported only by the roles that
 * run them (e2e/bench/footprint.ts measures each role's memory).
 */
import { hostname } from 'node:os';
import { StateHistory } from '@dangus/gitops-writer/history';
import type { KubeConfig } from '@kubernetes/client-node';
import express from 'express';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Config } from '../config/config.js';
import { Encryptor } from '../crypto/encryption.js';
import type { GitHubApi } from '../github/github-api.js';
import type { LeaderElection } from '../coordination/leader-election.js';
import { OutboxStateSink } from '../coordination/outbox.js';
import { CHANNELS, PgListener } from '../coordination/pg-listener.js';
import { SharedEventBus } from '../events/shared-event-bus.js';
import { Drain } from '../http/drain.js';
import { healthRoutes } from '../http/routes/health.js';
import type { WebhookRouteOptions } from '../http/routes/webhooks.js';
import type { PipelineHandle } from '../pipeline/pipeline-handle.js';
import type { PipelineTuning } from '../pipeline/start-pipeline.js';
import { createPlatform } from '../server.js';
import { DurableState } from '../state-repo/durable-state.js';
import { StateMirror } from '../state-repo/state-mirror.js';
import { endSessionsOutsidePolicy } from '../use-cases/access.js';
import { pruneReleaseImages } from '../use-cases/release-retention.js';
import { applyRetention } from '../use-cases/retention.js';
import type { ControllerDeps, RunningController } from './controller.js';

/** The configuration with the secrets resolved (config/embedded-secrets.ts). */
export type RoleConfig = Config & { sessionSecret: string; encryption: { key: Buffer } };

/** What a role is assembled from: opened by main.ts (or a test), closed by it after `stop()`. */
export interface RoleResources {
  config: RoleConfig;
  /** The migrated database, and its URL for the connections that listen and lead. */
  db: DataSource;
  databaseUrl: string;
  /** The cluster; none without one (deployments then stay pending). */
  kube: KubeConfig | undefined;
  github: GitHubApi;
  logger: Logger;
  /** What a test adjusts; production passes none. */
  seams?: RoleSeams;
}

export interface RoleSeams {
  /** The event bus, made on the role's listener (a test's observes its subscriptions). */
  eventBus?: (deps: ConstructorParameters<typeof SharedEventBus>[0]) => SharedEventBus;
  /** The pipeline's periods. */
  pipeline?: PipelineTuning;
  /** Between a standby's tries for the leadership. */
  electionRetryMs?: number;
  /** Between the runtime log streams' scans for new pods. */
  logRescanMs?: number;
  /** Limits of webhook bodies. */
  webhooks?: WebhookRouteOptions;
  /** The built UI to serve. */
  uiDir?: string;
}

export type Platform = ReturnType<typeof createPlatform>;

export interface RunningRole {
  /** What the process serves on its port: the platform, or (controller) probes and status. */
  app: express.Express;
  /** The use cases and sessions of a role that serves them (`all`, `api`). */
  platform: Platform | undefined;
  events: SharedEventBus;
  /** The door into the writer every change goes through. */
  stateSink: OutboxStateSink;
  /** The graceful stop of the HTTP side (main.ts drains it on SIGTERM). */
  drain: Drain;
  election: LeaderElection | undefined;
  /** The controller while this process leads. */
  controller(): RunningController | undefined;
  /** Resolves with the controller once this process leads (roles `all` and `controller`). */
  leading(): Promise<RunningController>;
  /** Stops the role's work (the controller hands the lease over); the caller closes the database. */
  stop(): Promise<void>;
}

/** Use cases' pipeline in every role: a kick is a notification the leading controller hears. */
function notifyingPipeline(db: DataSource, logger: Logger): PipelineHandle {
  return {
    kick(deploymentIds) {
      if (deploymentIds.length === 0) return;
      // The pipeline's resync picks a row up anyway if this is lost.
      db.query(`SELECT pg_notify('${CHANNELS.kick}', $1)`, [deploymentIds.join(',')]).catch((error: unknown) => {
        logger.warn({ err: error }, 'could not notify the controller of new deployments');
      });
    },
  };
}

export async function composeRole(resources: RoleResources): Promise<RunningRole> {
  const { config, db, kube, github, logger } = resources;
  const seams = resources.seams ?? {};
  const listener = new PgListener(resources.databaseUrl, logger.child({ component: 'pg-listen' }));
  await listener.start();
  const eventDeps = { db, listener, logger: logger.child({ component: 'events' }) };
  const events = seams.eventBus ? seams.eventBus(eventDeps) : new SharedEventBus(eventDeps);
  const stateSink = new OutboxStateSink({ db, listener, waitMs: config.commitWaitMs, logger: logger.child({ component: 'outbox' }) });
  const durable = new DurableState(db, config.stateRepoDir, logger.child({ component: 'state-repo' }));
  const history = new StateHistory(config.stateRepoDir);
  const drain = new Drain();

  const controller = config.role === 'api' ? undefined : await startElection(resources, { listener, events, stateSink, durable, history });
  let platform: Platform | undefined;
  let app: express.Express;
  let stopHousekeeping: () => Promise<void> = () => Promise.resolve();
  if (config.role === 'controller') {
    // Probes and the election's status; the controller serves nothing else.
    app = express();
    app.disable('x-powered-by');
    app.use(healthRoutes(db, drain));
    app.get('/status', (_req, res) => {
      res.json({ role: config.role, leader: controller?.election.status() ?? null });
    });
  } else {
    // The api replicas serve a read-only mirror; `all` serves the repo its controller writes.
    const mirror = config.role === 'api' ? new StateMirror({ durable, history, listener, logger: logger.child({ component: 'state-mirror' }) }) : undefined;
    if (mirror) await mirror.sync().catch(() => undefined);
    const running = () => controller?.current();
    platform = createPlatform({
      github,
      events,
      pipeline: notifyingPipeline(db, logger),
      config,
      db,
      logger,
      drain,
      stateSink,
      stateRepo: mirror
        ? { head: () => mirror.head(), sync: () => mirror.sync() }
        : { head: () => running()?.head() ?? durable.head(), pushStatus: () => running()?.pushStatus() ?? null },
      stateHistory: history,
      ...(seams.uiDir !== undefined ? { uiDir: seams.uiDir } : {}),
      ...(seams.webhooks ? { webhooks: seams.webhooks } : {}),
      // Runtime logs read the leader's informer cache where this process runs one (`all`), else list pods.
      ...(kube
        ? (await import('../kube/cluster-readers.js')).clusterReaders(kube, logger, {
            metricsSampleMs: config.metricsSampleMs,
            ...(seams.logRescanMs !== undefined ? { logRescanMs: seams.logRescanMs } : {}),
            pods: controller?.code.leaderPods(running),
          })
        : {}),
      // The applier's status where this process runs one (the leader of `all`, APPLIER=builtin).
      ...(controller && kube && config.applier === 'builtin'
        ? { applierStatus: () => running()?.applierStatus?.() ?? { leading: false, leader: controller.election.status() } }
        : {}),
    });
    // The settings may have changed since the last start: who they no longer let in is signed out.
    const ended = await endSessionsOutsidePolicy(db, config.access);
    if (ended > 0) logger.info({ sessions: ended }, 'ended the sessions of users the sign-in settings no longer allow');
    stopHousekeeping = housekeeping(platform, resources);
    app = platform.app;
  }

  return {
    app,
    platform,
    events,
    stateSink,
    drain,
    election: controller?.election,
    controller: () => controller?.current(),
    leading: () => (controller ? controller.leading() : Promise.reject(new Error(`the ${config.role} role runs no controller`))),
    async stop() {
      await stopHousekeeping();
      history.stop();
      platform?.ctx.serviceMetrics?.stop();
      // The controller stops (the pipeline stores the log it has), then hands the lease over.
      await controller?.election.stop();
      await events.flushed();
      await listener.stop();
    },
  };
}

/** The leader election of `all` and `controller`: its leader runs the controller's work. */
async function startElection(
  resources: RoleResources,
  parts: Pick<ControllerDeps, 'listener' | 'events' | 'stateSink' | 'durable' | 'history'>,
) {
  const { config, logger, kube } = resources;
  const code = await import('./controller.js');
  let running: RunningController | undefined;
  let waiters: Array<(controller: RunningController) => void> = [];
  const election: LeaderElection = new (await import('../coordination/leader-election.js')).LeaderElection({
    url: resources.databaseUrl,
    identity: `${hostname()}/${String(process.pid)}`,
    logger: logger.child({ component: 'leader' }),
    ...(resources.seams?.electionRetryMs !== undefined ? { retryMs: resources.seams.electionRetryMs } : {}),
    lead: async () => {
      const controller = await code.startController({
        ...parts,
        config,
        db: resources.db,
        encryptor: new Encryptor(config.encryption.keyId, config.encryption.key, config.encryption.oldKeys),
        kube,
        github: resources.github,
        logger,
        resign: (reason) => election.resign(reason),
        ...(resources.seams?.pipeline ? { tuning: resources.seams.pipeline } : {}),
      });
      running = controller;
      for (const resolve of waiters.splice(0)) resolve(controller);
      return async () => {
        running = undefined;
        await controller.stop();
      };
    },
  });
  election.start();
  if (kube) logger.info(config.applier === 'builtin' ? 'the leader applies the state repo in-process' : 'APPLIER=external: another applier syncs the state repo');
  return {
    code,
    election,
    current: () => running,
    leading: () => (running ? Promise.resolve(running) : new Promise<RunningController>((resolve) => (waiters = [...waiters, resolve]))),
  };
}

/**
 * Expired sessions, images of old releases and old rows go, at the start and every hour.
 * Returns how to stop it (the pass under way finishes first).
 */
function housekeeping(platform: Platform, resources: RoleResources): () => Promise<void> {
  const { db, config, logger } = resources;
  let pass: Promise<unknown> = Promise.resolve();
  const run = () => {
    const sessions = platform.sessions.purgeExpired().catch((err: unknown) => logger.warn({ err }, 'session purge failed'));
    // Images of old releases first (their rows must still be there to say which).
    const retention = pruneReleaseImages({ db, registries: platform.ctx.registries, logger, releasesKept: config.retention.releasesPerService })
      .then((images) => applyRetention(db, config.retention).then((dropped) => ({ ...dropped, images })))
      .then(
        (dropped) => logger.debug({ dropped }, 'retention applied'),
        (err: unknown) => logger.warn({ err }, 'retention failed'),
      );
    pass = Promise.all([sessions, retention]);
  };
  run();
  const timer = setInterval(run, 3_600_000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await pass;
  };
}
