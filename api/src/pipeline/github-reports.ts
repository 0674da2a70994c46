import { Octokit } from '@octokit/rest';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { GitHubStatusState } from '../db/entities/index.js';
import { installationOfRepository, type GitHubApp } from '../github/github-app.js';
import { fullNameOf } from '../github/repository-access.js';
import type { WorkRow } from './deployment-rows.js';

/** The Check Run's name on the commit. */
export const CHECK_NAME = 'Dangus Cloud';
/** The failure's log lines quoted in the Check Run. */
const TAIL_LINES = 30;
const silentLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export interface ReportsRetry {
  /** Attempts of one request (default 4). */
  attempts: number;
  /** The first backoff; each next one doubles (default 1 s). */
  baseMs: number;
  /** A rate limit resetting later than this is not waited for: the report is dropped, logged with the reset time (default 60 s). */
  maxWaitMs: number;
}

interface ReportIds {
  checkRunId: string | null;
  deploymentId: string | null;
}

type Step = 'queued' | 'in_progress' | 'success' | 'failure' | 'superseded';

/**
 * Builds reported back to GitHub through the App (docs/architecture.md#github-app), with an
 * installation token for the one repository (`checks: write`, `deployments: write`): a Check
 * Run on the commit (queued → in_progress → completed, its summary, a failure's last log
 * lines, a link to the build's page) and a GitHub Deployment with its statuses (in_progress,
 * success with the service's URL, failure, inactive when superseded). Each deployment's
 * reports go in order, one at a time; GitHub's refusals and failures are retried with backoff
 * where that cannot report twice (a rate limit: until its reset), logged, and never fail a build.
 */
export class GitHubReports {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly retry: ReportsRetry;

  constructor(
    private readonly deps: {
      db: DataSource;
      githubApp: GitHubApp;
      logger: Logger;
      /** Where the UI is: the Check Run links to the build's page. */
      publicUrl: string;
      /** The service's public URL (the Deployment's `environment_url`). */
      serviceUrl(row: WorkRow): string;
      logTail(id: string): Promise<string>;
      retry?: Partial<ReportsRetry>;
    },
  ) {
    this.retry = { attempts: 4, baseMs: 1_000, maxWaitMs: 60_000, ...deps.retry };
  }

  /**
   * GitHub's id of the row's repository when the service is bound to it (shown readable by
   * a user: use-cases/repository-binding.ts) and an installation of the App holds it; else
   * null (commit statuses then). Never looked up by name.
   */
  async covers(row: WorkRow): Promise<number | null> {
    if (!(await this.deps.githubApp.credentials())) return null;
    const id = row.github_repository_id;
    // A binding shown only by publicness is anyone's: no installation token writes for it.
    if (id === null || row.github_repository_public_only === true) return null;
    return (await installationOfRepository(this.deps.db, Number(id))) ? Number(id) : null;
  }

  /** The report of a commit-status state (`pending` is queued; superseded builds end as `error`). */
  report(row: WorkRow, repositoryId: number, state: GitHubStatusState, description: string): void {
    const step: Step = state === 'pending' ? 'queued' : state === 'success' ? 'success' : state === 'failure' ? 'failure' : 'superseded';
    this.enqueue(row, repositoryId, step, description);
  }

  /** The build started. */
  building(row: WorkRow, repositoryId: number): void {
    this.enqueue(row, repositoryId, 'in_progress', 'Building');
  }

  /** Resolves when every report asked so far was sent or given up (tests, the benchmark). */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private enqueue(row: WorkRow, repositoryId: number, step: Step, description: string): void {
    const previous = this.chains.get(row.id) ?? Promise.resolve();
    const next = previous
      .then(() => this.send(row, repositoryId, step, description))
      .catch((error: unknown) => this.deps.logger.warn({ deploymentId: row.id, step, err: error }, 'could not report the build to GitHub'))
      .finally(() => {
        if (this.chains.get(row.id) === next) this.chains.delete(row.id);
      });
    this.chains.set(row.id, next);
  }

  private async send(row: WorkRow, repositoryId: number, step: Step, description: string): Promise<void> {
    const name = fullNameOf(row.repo_url);
    if (!name) return;
    const { token } = await this.deps.githubApp.tokenForRepository(repositoryId, { checks: 'write', deployments: 'write' });
    const octokit = new Octokit({ auth: token, baseUrl: this.deps.githubApp.apiUrl, log: silentLog, request: { retries: 0, timeout: 10_000 } });
    const repo = { owner: name.owner, repo: name.repo };
    const buildPage = `${this.deps.publicUrl}/services/${row.service_id}/deployments/${row.id}`;
    const ids = await this.ids(row.id);
    const now = new Date().toISOString();

    // The Check Run: made once (its id kept on the row), then updated.
    const check = await this.checkRunFields(row, step, description, now);
    if (ids.checkRunId === null) {
      const created = await this.withRetry(() => octokit.rest.checks.create({ ...repo, name: CHECK_NAME, head_sha: row.commit_sha, external_id: row.id, details_url: buildPage, ...check }), false);
      await this.deps.db.query(`UPDATE deployments SET github_check_run_id = $2 WHERE id = $1`, [row.id, created.data.id]);
    } else {
      await this.withRetry(() => octokit.rest.checks.update({ ...repo, check_run_id: Number(ids.checkRunId), details_url: buildPage, ...check }), true);
    }

    // The GitHub Deployment: made once, then a status per step (a status repeated changes nothing).
    let deploymentId = ids.deploymentId === null ? null : Number(ids.deploymentId);
    if (deploymentId === null) {
      const created = await this.withRetry(
        () =>
          octokit.rest.repos.createDeployment({
            ...repo,
            ref: row.commit_sha,
            environment: row.service_name,
            description: `Dangus Cloud: ${row.service_name}`,
            auto_merge: false,
            required_contexts: [],
            production_environment: true,
            payload: { deploymentId: row.id },
          }),
        false,
      );
      if (!('id' in created.data)) throw new Error(`GitHub made no deployment: ${created.data.message ?? 'no reason'}`);
      deploymentId = created.data.id;
      await this.deps.db.query(`UPDATE deployments SET github_deployment_id = $2 WHERE id = $1`, [row.id, deploymentId]);
    }
    if (step === 'queued') return;
    const state = step === 'superseded' ? 'inactive' : step;
    const id = deploymentId;
    await this.withRetry(
      () =>
        octokit.rest.repos.createDeploymentStatus({
          ...repo,
          deployment_id: id,
          state,
          log_url: buildPage,
          description: description.slice(0, 140),
          ...(step === 'success' ? { environment_url: this.deps.serviceUrl(row) } : {}),
        }),
      true,
    );
  }

  private async checkRunFields(row: WorkRow, step: Step, description: string, now: string) {
    const sha7 = row.commit_sha.slice(0, 7);
    switch (step) {
      case 'queued':
        return { status: 'queued' as const, output: { title: 'Queued', summary: `Build of ${sha7} queued.` } };
      case 'in_progress':
        return { status: 'in_progress' as const, started_at: now, output: { title: 'Building', summary: `Building ${sha7}.` } };
      case 'success':
        return {
          status: 'completed' as const,
          conclusion: 'success' as const,
          completed_at: now,
          output: { title: 'Live', summary: `${sha7} was built and is live at ${this.deps.serviceUrl(row)}.` },
        };
      case 'failure': {
        const lines = (await this.deps.logTail(row.id)).split('\n').filter((line) => line.trim() !== '').slice(-TAIL_LINES);
        return {
          status: 'completed' as const,
          conclusion: 'failure' as const,
          completed_at: now,
          output: {
            title: description.slice(0, 255),
            summary: description.slice(0, 65_000),
            ...(lines.length > 0 ? { text: `The last lines of the build log:\n\n\`\`\`\n${lines.join('\n').replaceAll('```', "'''")}\n\`\`\`` } : {}),
          },
        };
      }
      case 'superseded':
        return { status: 'completed' as const, conclusion: 'cancelled' as const, completed_at: now, output: { title: 'Superseded', summary: description.slice(0, 65_000) } };
    }
  }

  private async ids(id: string): Promise<ReportIds> {
    const [row] = await this.deps.db.query<ReportIds[]>(
      `SELECT github_check_run_id::text AS "checkRunId", github_deployment_id::text AS "deploymentId" FROM deployments WHERE id = $1`,
      [id],
    );
    return row ?? { checkRunId: null, deploymentId: null };
  }

  /**
   * One request, retried: after a rate limit (429, or 403 with no requests left) until its
   * reset when that is soon (the request was refused, so nothing happened twice); after a 5xx,
   * a timeout or a lost connection with backoff, only when `idempotent` (a create may have
   * happened: it is not sent again).
   */
  private async withRetry<T>(request: () => Promise<T>, idempotent: boolean): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await request();
      } catch (error) {
        const wait = this.retryAfter(error, idempotent, attempt);
        if (wait === null) throw error;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  private retryAfter(error: unknown, idempotent: boolean, attempt: number): number | null {
    if (attempt >= this.retry.attempts) return null;
    const status = (error as { status?: number }).status;
    const headers = (error as { response?: { headers?: Record<string, string | undefined> } }).response?.headers ?? {};
    const limited = status === 429 || (status === 403 && headers['x-ratelimit-remaining'] === '0');
    if (limited) {
      const retryAfter = Number(headers['retry-after']);
      const reset = Number(headers['x-ratelimit-reset']);
      const wait = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : Number.isFinite(reset) && reset > 0 ? reset * 1000 - Date.now() : this.retry.baseMs;
      if (wait > this.retry.maxWaitMs) {
        throw new Error(`GitHub's rate limit is reached until ${new Date(Date.now() + wait).toISOString()}: this report is dropped`, { cause: error });
      }
      return Math.max(0, wait);
    }
    const transient = status === undefined || status >= 500;
    return transient && idempotent ? this.retry.baseMs * 2 ** (attempt - 1) : null;
  }
}
