import type { PipelineHandle } from './pipeline-handle.js';
import { KeyedQueue } from './keyed-queue.js';
import { BuildPhase } from './build-phase.js';
import { CommitStatuses } from './commit-status.js';
import { DeployCommits } from './deploy-commits.js';
import { DeploymentRows, builds, type WorkRow } from './deployment-rows.js';
import type { PipelineDeps } from './pipeline-deps.js';
import { Rollout } from './rollout.js';
import { GitHubReports } from './github-reports.js';

export type { PipelineDeps, PipelineSettings } from './pipeline-deps.js';

const RECENTLY_FINISHED_MS = 3_600_000;

/**
 * Moves every deployment row `pending → building → deploying → live | failed`
 * (docs/architecture.md#status). It is level-triggered: `reconcile(id)` reads the row
 * and the informers' view of the cluster and does whatever step is due, so the
 * same call is right after a webhook, an informer event, a resync, or an api
 * restart. Rows change by compare-and-set on their status, so a second api
 * process, or a late event, cannot move one twice.
 *
 * The steps live beside it: the build (`build-phase.ts`), the rollout and the automatic
 * rollback (`rollout.ts`), the commits (`deploy-commits.ts`), GitHub's commit statuses
 * (`commit-status.ts`) or the App's Check Runs and Deployments (`github-reports.ts`), and the SQL on the rows (`deployment-rows.ts`).
 */
export class DeploymentPipeline implements PipelineHandle {
  private readonly queue: KeyedQueue;
  private readonly rows: DeploymentRows;
  private readonly commits: DeployCommits;
  private readonly build: BuildPhase;
  private readonly rollout: Rollout;
  /** Check Runs and GitHub Deployments through the App (absent without an App). */
  readonly reports: GitHubReports | undefined;
  private resync: NodeJS.Timeout | undefined;

  constructor(private readonly deps: PipelineDeps) {
    this.queue = new KeyedQueue({
      concurrency: 4,
      work: (id) => this.reconcile(id),
      onError: (id, error) => deps.logger.warn({ deploymentId: id, err: error }, 'deployment reconcile failed: will retry'),
    });
    this.rows = new DeploymentRows({ db: deps.db, events: deps.events, logger: deps.logger });
    this.commits = new DeployCommits(deps.stateSink);
    this.reports = deps.githubApp
      ? new GitHubReports({
          db: deps.db,
          githubApp: deps.githubApp,
          logger: deps.logger,
          publicUrl: deps.settings.publicUrl,
          serviceUrl: (row) => `${deps.settings.publicScheme ?? 'https'}://${row.service_host}.${deps.settings.baseDomain ?? ''}`,
          logTail: (id) => this.rows.logTail(id),
          ...(deps.settings.reportsRetry ? { retry: deps.settings.reportsRetry } : {}),
        })
      : undefined;
    const statuses = new CommitStatuses({
      rows: this.rows,
      github: deps.github,
      encryptor: deps.encryptor,
      logger: deps.logger,
      publicUrl: deps.settings.publicUrl,
      reports: this.reports,
    });
    const parts = { rows: this.rows, commits: this.commits, statuses, queue: this.queue };
    this.build = new BuildPhase(deps, parts);
    this.rollout = new Rollout(deps, parts);
  }

  start(): void {
    this.reconcileActive();
    this.resync = setInterval(() => this.reconcileActive(), this.deps.settings.resyncMs ?? 30_000);
    this.resync.unref();
  }

  /** Lets running reconciles finish (a few seconds at most: rows carry the rest). */
  async stop(): Promise<void> {
    clearInterval(this.resync);
    await Promise.race([this.queue.drain(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    await this.deps.logs.stop();
  }

  kick(deploymentIds: string[]): void {
    for (const id of deploymentIds) this.queue.add(id);
  }

  /** Queues every row not yet final (start-up, informer re-list, periodic resync). */
  reconcileActive(): void {
    this.rows
      .active()
      .then((ids) => this.kick(ids))
      .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'could not list active deployments'));
  }

  /** Resolves when no reconcile is queued or running (the benchmark waits for it before it reports). */
  idle(): Promise<void> {
    return this.queue.drain();
  }

  async reconcile(id: string): Promise<void> {
    const row = await this.rows.load(id);
    if (!row) return;
    switch (row.status) {
      case 'pending':
        return this.build.pending(row);
      case 'building':
        return this.build.building(row);
      case 'deploying':
        return this.rollout.deploying(row);
      default:
        return this.finished(row);
    }
  }

  // --- final rows: tidy what a crash or a supersede may have left ---------------------

  private async finished(row: WorkRow): Promise<void> {
    // A failed rollout still current was not rolled back yet (a crash in between).
    if (row.status === 'failed' && row.current_deployment_id === row.id) await this.rollout.rollBack(row);
    if (!builds(row)) return;
    if (row.finished_at && Date.now() - row.finished_at.getTime() > RECENTLY_FINISHED_MS) return;
    if (row.status === 'failed') await this.build.tidyFailed(row);
    this.commits.forget(row.id);
    this.build.forget(row.id);
  }
}
