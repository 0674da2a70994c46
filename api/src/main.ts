import type { Server } from 'node:http';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config/config.js';
import { withEmbeddedSecrets } from './config/embedded-secrets.js';
import { openDatabase } from './db/data-source.js';
import type { EmbeddedDatabase } from './db/embedded-postgres.js';
import { listen } from './server.js';
import { loadKubeConfig } from './kube/kube-config.js';
import { OctokitGitHubApi } from './github/github-api.js';
import { composeRole } from './roles/compose.js';
import { startupFailureLine } from './startup/failure.js';
import { announce, createProcessLogger } from './startup/logging.js';
import { onStopSignals } from './startup/signals.js';
import { startupSummary } from './startup/summary.js';
import { clusterFacts, warnAtStart } from './startup/warnings.js';

/**
 * `npm start`: configuration, database (embedded by default, migrated), the cluster's
 * config, then the role the composition root assembles (roles/compose.ts,
 * docs/architecture.md#process-roles), its port and its graceful stop on a signal. The
 * embedded PostgreSQL is imported only by the processes that run it.
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
  // Without a cluster (the embedded default) neither the client nor the cluster readers load.
  const kube = await loadKubeConfig(full.kubeconfig);
  const role = await composeRole({ config: full, db, databaseUrl, kube, github: new OctokitGitHubApi(full.github.apiUrl), logger });
  const server: Server = await listen(role.app, full.host, full.port);
  announce(logger, logFormat, startupSummary(full, clusterFacts(kube, full.kubeconfig)));

  const shutdown = (signal: string) => {
    logger.info({ signal, graceMs: full.shutdownGraceMs }, 'shutting down: draining');
    // No new connections; readiness goes false; live streams end with a retry hint
    // (browsers reconnect elsewhere and resume); requests in flight finish.
    server.close();
    server.closeIdleConnections();
    void role.drain
      .drain(full.shutdownGraceMs)
      .then(async ({ unfinished }) => {
        if (unfinished > 0) logger.warn({ unfinished }, 'the grace period ended with requests in flight');
        server.closeAllConnections();
        await role.stop();
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
