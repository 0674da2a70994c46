import { ConfigError, loadConfig } from './config/config.js';
import { withEmbeddedSecrets } from './config/embedded-secrets.js';
import { openDatabase } from './db/data-source.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded-postgres.js';
import { createLogger } from './logger.js';
import { createPlatform, listen } from './server.js';
import { Encryptor } from './crypto/encryption.js';
import { openStateWriter } from './cluster/state-writer.js';
import { startInProcessApplier } from './cluster/in-process-applier.js';
import { commitPokes } from './cluster/commit-pokes.js';
import { join } from 'node:path';
import { loadKubeConfig } from './cluster/kube-config.js';
import { OctokitGitHubApi } from './github/github-api.js';
import { EventBus } from './pipeline/event-bus.js';
import { clusterReaders } from './pipeline/cluster-readers.js';
import { startPipeline } from './pipeline/start-pipeline.js';
import { endSessionsOutsidePolicy } from './use-cases/access.js';
import { applyRetention } from './use-cases/retention.js';
import { pruneReleaseImages } from './use-cases/release-retention.js';

/** `npm start`: configuration, database (embedded by default), migrations, then the server. */
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
  const logger = createLogger(config.logLevel);
  if (config.harborAdmin === null) {
    logger.warn(
      { registry: 'shared' },
      'builds share one registry credential: tenants are not isolated (set HARBOR_ADMIN_USERNAME and HARBOR_ADMIN_PASSWORD for a Harbor project and robot per tenant)',
    );
  }
  let embedded: EmbeddedDatabase | undefined;
  if (config.databaseUrl === undefined) {
    logger.info({ dataDir: config.dataDir }, 'no DATABASE_URL: starting the embedded PostgreSQL');
    embedded = await startEmbeddedPostgres(join(config.dataDir, 'postgres'), {
      onLog: (line) => logger.debug({ component: 'postgres' }, line.trim()),
    });
  }
  const full = await withEmbeddedSecrets(config);
  const db = await openDatabase(embedded?.url ?? full.databaseUrl ?? '');
  const encryptor = new Encryptor(full.encryption.keyId, full.encryption.key, full.encryption.oldKeys);
  const kube = loadKubeConfig(full.kubeconfig);
  // notify() never blocks: commits (the reconcile below too) never wait for the cluster.
  // The pipeline needs the cluster either way; applying can be another process's job.
  const applier = kube && full.applier === 'builtin' ? startInProcessApplier({ kube, stateRepoDir: full.stateRepoDir, logger }) : undefined;
  if (applier) logger.info('applying the state repo to the cluster in-process');
  else if (kube) logger.info('APPLIER=external: another applier syncs the state repo into the cluster');
  const pokes = commitPokes(full, kube, logger.child({ component: 'commit-poke' }));
  const writer = await openStateWriter({
    config: full,
    db,
    encryptor,
    encryptionKey: full.encryption.key,
    logger,
    onCommit: () => {
      applier?.notify();
      for (const poke of pokes) poke.poke();
    },
  });
  // Heals a crash between a database write and its commit (docs/architecture.md#the-state-repo).
  const reconciled = await writer.sink.reconcile();
  logger.info({ head: reconciled.head, committed: reconciled.commit !== null }, 'state repo reconciled with the database');
  writer.pusher?.schedule();
  const github = new OctokitGitHubApi(full.github.apiUrl);
  const events = new EventBus();
  const pipeline = kube
    ? startPipeline({ kube, config: full, db, encryptor, stateSink: writer.sink, github, events, logger })
    : undefined;
  if (!pipeline) logger.warn('no cluster (KUBECONFIG or in-cluster config): deployments stay pending');
  const platform = createPlatform({
    github,
    events,
    ...(pipeline ? { pipeline: pipeline.pipeline } : {}),
    config: full,
    db,
    logger,
    stateSink: writer.sink,
    stateRepo: writer.repo,
    stateHistory: writer.history,
    ...(kube ? clusterReaders(kube, logger, { metricsSampleMs: full.metricsSampleMs, pods: pipeline?.watcher }) : {}),
    ...(writer.pusher ? { statePusher: writer.pusher } : {}),
    // The applier's status, with the pipeline's informers (listed yet, restarts) beside it.
    ...(applier ? { applierStatus: () => ({ ...applier.status(), watcher: pipeline?.watcher.status() ?? null }) } : {}),
  });
  // The settings may have changed since the last start: who they no longer let in is signed out.
  const ended = await endSessionsOutsidePolicy(db, full.access);
  if (ended > 0) logger.info({ sessions: ended }, 'ended the sessions of users the sign-in settings no longer allow');
  const server = await listen(platform.app, full.host, full.port);
  const housekeeping = () => {
    platform.sessions.purgeExpired().catch((err: unknown) => logger.warn({ err }, 'session purge failed'));
    // Images of old releases first (their rows must still be there to say which).
    pruneReleaseImages({ db, registries: platform.ctx.registries, logger, releasesKept: full.retention.releasesPerService })
      .then((images) => applyRetention(db, full.retention).then((dropped) => ({ ...dropped, images })))
      .then(
        (dropped) => logger.debug({ dropped }, 'retention applied'),
        (err: unknown) => logger.warn({ err }, 'retention failed'),
      );
  };
  housekeeping();
  const purge = setInterval(housekeeping, 3_600_000);
  purge.unref();
  logger.info({ url: full.publicUrl, localSignIn: full.localAuth }, `Dangus Cloud is listening on ${full.publicUrl}`);

  const shutdown = (signal: string) => {
    logger.info({ signal, graceMs: full.shutdownGraceMs }, 'shutting down: draining');
    // No new connections; readiness goes false; live streams end (browsers reconnect
    // elsewhere and resume); requests in flight, a webhook being recorded, finish.
    server.close();
    server.closeIdleConnections();
    void platform.drain
      .drain(full.shutdownGraceMs)
      .then(({ unfinished }) => {
        if (unfinished > 0) logger.warn({ unfinished }, 'the grace period ended with requests in flight');
        server.closeAllConnections();
        writer.pusher?.stop();
        writer.history.stop();
        platform.ctx.serviceMetrics?.stop();
        // The pipeline stores the log it has before the database closes; rows carry the rest.
        return Promise.allSettled([pipeline?.stop(), applier?.stop()]);
      })
      .then(() => db.destroy())
      .then(() => embedded?.stop())
      .finally(() => process.exit(0));
  };
  // embedded-postgres registers (through async-exit-hook, at import) handlers that stop
  // every embedded cluster and exit at once on these signals, even in production where
  // there is none: the drain above would never run. This process stops its PostgreSQL
  // itself, after the drain.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`Dangus Cloud failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
