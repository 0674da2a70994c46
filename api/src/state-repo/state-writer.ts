import {
  StateHistory,
  StateRepo,
  parseTemplates,
  readTemplates,
  renderSettingsSchema,
  type BranchMove,
  type RenderSettings,
} from '@dangus/gitops-writer';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { ConfigError, type Config } from '../config/config.js';
import type { Encryptor } from '../crypto/encryption.js';
import { tenantsWithPendingIntents } from '../coordination/outbox.js';
import { PgAdvisoryLock } from './advisory-lock.js';
import { StatePusher } from './state-pusher.js';
import { EnvRevision } from './env-revision.js';
import { GitopsStateSink } from './gitops-state-sink.js';
import type { CommitEffects } from './state-sink.js';
import { TenantFailures } from './tenant-failures.js';
import { TenantLoader } from './tenant-loader.js';

/** The render settings of the config, validated by the writer's own schema. */
export function renderSettingsOf(config: Config): RenderSettings {
  const parsed = renderSettingsSchema.safeParse({
    baseDomain: config.baseDomain,
    harborHost: config.harborHost,
    harborProject: config.harborProject,
    ...config.render,
  });
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  return parsed.data;
}

/**
 * Opens the state repo and the templates, and returns the StateSink that
 * commits every tenant change (plus its reconcile).
 */
export async function openStateWriter(options: {
  config: Config;
  db: DataSource;
  encryptor: Encryptor;
  encryptionKey: Buffer;
  logger: Logger;
  onCommit?: (commit: string) => void;
  /** The Secrets around commits (the cluster's; none without one). */
  effects?: CommitEffects;
  /** The history reader to keep current (one is made otherwise). */
  history?: StateHistory;
  /** Stores each commit durably before the branch moves (the controller: PostgreSQL). */
  beforeBranchMoves?: (move: BranchMove) => Promise<void>;
}): Promise<{ sink: GitopsStateSink; repo: StateRepo; pusher: StatePusher | undefined; history: StateHistory }> {
  const settings = renderSettingsOf(options.config);
  const templates = parseTemplates(await readTemplates(options.config.templatesDir));
  const repo = await StateRepo.open({
    dir: options.config.stateRepoDir,
    lock: new PgAdvisoryLock(options.db),
    ...(options.beforeBranchMoves ? { beforeBranchMoves: options.beforeBranchMoves } : {}),
  });
  const loader = new TenantLoader({
    db: options.db,
    encryptor: options.encryptor,
    envRevision: new EnvRevision(options.encryptionKey),
    sizes: options.config.sizes,
  });
  const remote = options.config.stateRepoRemote;
  const pusher = remote
    ? new StatePusher({ gitdir: options.config.stateRepoDir, url: remote.url, token: remote.token, logger: options.logger.child({ component: 'state-push' }) })
    : undefined;
  const onCommit = options.onCommit;
  // The history reads the repo with git; its index (commit-graph) follows the commits.
  const history = options.history ?? new StateHistory(options.config.stateRepoDir);
  const indexFailed = (error: unknown) => options.logger.warn({ err: error }, 'could not update the state repo history index');
  history.refreshSoon(indexFailed, 0);
  const sink = new GitopsStateSink({
    repo,
    loader,
    settings,
    templates,
    failures: new TenantFailures(options.db),
    pending: () => tenantsWithPendingIntents(options.db),
    ...(options.effects ? { effects: options.effects } : {}),
    logger: options.logger.child({ component: 'state-repo' }),
    onCommit: (commit) => {
      pusher?.schedule();
      history.refreshSoon(indexFailed);
      onCommit?.(commit);
    },
  });
  return { sink, repo, pusher, history };
}
