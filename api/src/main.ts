import type { Server } from 'node:http';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StateHistory } from '@dangus/gitops-writer/history';
import express from 'express';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from './config/config.js';
import { withEmbeddedSecrets } from './config/embedded-secrets.js';
import { openDatabase } from './db/data-source.js';
import type { EmbeddedDatabase } from './db/embedded-postgres.js';
import { createPlatform, listen } from './server.js';
import { Encryptor } from './crypto/encryption.js';
import { loadKubeConfig } from './kube/kube-config.js';
import { DurableState } from './state-repo/durable-state.js';
import { OctokitGitHubApi } from './github/github-api.js';
import { endSessionsOutsidePolicy } from './use-cases/access.js';
import { applyRetention } from './use-cases/retention.js';
import { pruneReleaseImages } from './use-cases/release-retention.js';
import { CHANNELS, PgListener } from './coordination/pg-listener.js';
import { SharedEventBus } from './events/shared-event-bus.js';
import type { LeaderElection } from './coordination/leader-election.js';
import type { RunningController } from './roles/controller.js';
import { OutboxStateSink } from './coordination/outbox.js';
import { StateMirror } from './state-repo/state-mirror.js';
import { Drain } from './http/drain.js';
import { healthRoutes } from './http/routes/health.js';
import type { PipelineHandle } from './pipeline/pipeline-handle.js';
import { startupFailureLine } from './startup/failure.js';
import { announce, createProcessLogger } from './startup/logging.js';
import { onStopSignals } from './startup/signals.js';
import { startupSummary } from './startup/summary.js';
import { clusterFacts, warnAtStart } from './startup/warnings.js';

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

/**
 * `npm start`: configuration, database (embedded by default), migrations, then the
 * role's parts (docs/architecture.md#process-roles): `all` runs everything in this process,
 * `api` the HTTP side only, `controller` the leader-elected writer and pipeline. The
 * controller's modules (state-repo writer, pipeline, in-process applier) and the embedded
 * PostgreSQL are imported only by the processes that run them (e2e/bench/footprint.ts
 * measures each role's memory).
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const { logger: processLogger, format: logFormat } = await createProcessLogger(config);
  const logger = processLogger.child({ role: config.role });
  warnAtStart(logger, config);
  let embedded: EmbeddedDatabase | undefined;
  if (config.databaseUrl === undefined) {
    logger.info({ dataDir: config.dataDir }, 'no DATABASE_URL: starting the embedded PostgreSQL');
    const { startEmbeddedPostgres } = await import('./db/embedded-postgres.js');
    embedded = await startEmbeddedPostgres(join(config.dataDir, 'postgres'), {
      onLog: (line) => logger.debug({ component: 'postgres' }, line.trim()),
    });
  }
  const full = await withEmbeddedSecrets(config);
  const databaseUrl = embedded?.url ?? full.databaseUrl ?? '';
  const db = await openDatabase(databaseUrl);
  const encryptor = new Encryptor(full.encryption.keyId, full.encryption.key, full.encryption.oldKeys);
  // Without a cluster (the embedded default) neither the client nor the cluster readers load.
  const kube = await loadKubeConfig(full.kubeconfig);
  const listener = new PgListener(databaseUrl, logger.child({ component: 'pg-listen' }));
  await listener.start();
  const events = new SharedEventBus({ db, listener, logger: logger.child({ component: 'events' }) });
  const github = new OctokitGitHubApi(full.github.apiUrl);
  const durable = new DurableState(db, full.stateRepoDir, logger.child({ component: 'state-repo' }));
  const history = new StateHistory(full.stateRepoDir);

  // The controller: leader-elected, in `all` and `controller`.
  const controllerCode = full.role === 'api' ? undefined : await import('./roles/controller.js');
  let running: RunningController | undefined;
  const election: LeaderElection | undefined =
    controllerCode === undefined
      ? undefined
      : new (await import('./coordination/leader-election.js')).LeaderElection({
          url: databaseUrl,
          identity: `${hostname()}/${String(process.pid)}`,
          logger: logger.child({ component: 'leader' }),
          lead: async () => {
            const controller = await controllerCode.startController({
              config: full,
              db,
              encryptor,
              kube,
              github,
              events,
              listener,
              durable,
              history,
              logger,
              resign: (reason) => election?.resign(reason),
            });
            running = controller;
            return async () => {
              running = undefined;
              await controller.stop();
            };
          },
        });
  election?.start();
  if (kube && full.role !== 'api') logger.info(full.applier === 'builtin' ? 'the leader applies the state repo in-process' : 'APPLIER=external: another applier syncs the state repo');

  const drain = new Drain();
  let stopHttp: (() => void) | undefined;
  let server: Server;
  let platform: ReturnType<typeof createPlatform> | undefined;
  if (full.role === 'controller') {
    // Probes and the election's status; the controller serves nothing else.
    const app = express();
    app.disable('x-powered-by');
    app.use(healthRoutes(db, drain));
    app.get('/status', (_req, res) => {
      res.json({ role: full.role, leader: election?.status() ?? null });
    });
    server = await listen(app, full.host, full.port);
  } else {
    // The api replicas serve a read-only mirror; `all` serves the repo its controller writes.
    const mirror = full.role === 'api' ? new StateMirror({ durable, history, listener, logger: logger.child({ component: 'state-mirror' }) }) : undefined;
    if (mirror) await mirror.sync().catch(() => undefined);
    const stateSink = new OutboxStateSink({ db, listener, waitMs: full.commitWaitMs, logger: logger.child({ component: 'outbox' }) });
    platform = createPlatform({
      github,
      events,
      pipeline: notifyingPipeline(db, logger),
      config: full,
      db,
      logger,
      drain,
      stateSink,
      stateRepo: mirror ? { head: () => mirror.head(), sync: () => mirror.sync() } : { head: () => running?.head() ?? durable.head(), pushStatus: () => running?.pushStatus() ?? null },
      stateHistory: history,
      // Runtime logs read the leader's informer cache where this process runs one (`all`), else list pods.
      ...(kube ? (await import('./kube/cluster-readers.js')).clusterReaders(kube, logger, { metricsSampleMs: full.metricsSampleMs, pods: controllerCode?.leaderPods(() => running) }) : {}),
      // The applier's status where this process runs one (the leader of `all`, APPLIER=builtin).
      ...(election && kube && full.applier === 'builtin' ? { applierStatus: () => running?.applierStatus?.() ?? { leading: false, leader: election.status() } } : {}),
    });
    // The settings may have changed since the last start: who they no longer let in is signed out.
    const ended = await endSessionsOutsidePolicy(db, full.access);
    if (ended > 0) logger.info({ sessions: ended }, 'ended the sessions of users the sign-in settings no longer allow');
    server = await listen(platform.app, full.host, full.port);
    const { ctx, sessions } = platform;
    const housekeeping = () => {
      sessions.purgeExpired().catch((err: unknown) => logger.warn({ err }, 'session purge failed'));
      // Images of old releases first (their rows must still be there to say which).
      pruneReleaseImages({ db, registries: ctx.registries, logger, releasesKept: full.retention.releasesPerService })
        .then((images) => applyRetention(db, full.retention).then((dropped) => ({ ...dropped, images })))
        .then(
          (dropped) => logger.debug({ dropped }, 'retention applied'),
          (err: unknown) => logger.warn({ err }, 'retention failed'),
        );
    };
    housekeeping();
    const purge = setInterval(housekeeping, 3_600_000);
    purge.unref();
    stopHttp = () => clearInterval(purge);
  }
  announce(logger, logFormat, startupSummary(full, clusterFacts(kube, full.kubeconfig)));

  const shutdown = (signal: string) => {
    logger.info({ signal, graceMs: full.shutdownGraceMs }, 'shutting down: draining');
    // No new connections; readiness goes false; live streams end with a retry hint
    // (browsers reconnect elsewhere and resume); requests in flight finish.
    stopHttp?.();
    server.close();
    server.closeIdleConnections();
    void drain
      .drain(full.shutdownGraceMs)
      .then(async ({ unfinished }) => {
        if (unfinished > 0) logger.warn({ unfinished }, 'the grace period ended with requests in flight');
        server.closeAllConnections();
        history.stop();
        platform?.ctx.serviceMetrics?.stop();
        // The controller stops (the pipeline stores the log it has), then hands the lease over.
        await election?.stop();
        await events.flushed();
        await listener.stop();
      })
      .then(() => db.destroy())
      .then(() => embedded?.stop())
      .finally(() => process.exit(0));
  };
  // This process stops its PostgreSQL itself, after the drain.
  onStopSignals(shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`${startupFailureLine(error, process.env)}\n`);
  process.exit(1);
});
