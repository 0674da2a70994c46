import { REPO_URL_PATTERN } from '@dangus/common';
import type { Logger } from 'pino';
import type { Encryptor } from '../crypto/encryption.js';
import type { GitHubStatusState } from '../db/entities/index.js';
import type { GitHubApi } from '../github/github-api.js';
import { isGitHubAccount } from '../auth/local-sign-in.js';
import { builds, type DeploymentRows, type WorkRow } from './deployment-rows.js';
import type { GitHubReports } from './github-reports.js';

/**
 * What a deployment tells GitHub of the commit it builds: through the GitHub App when it
 * covers the repository (a Check Run and a GitHub Deployment, github-reports.ts), else the
 * commit statuses of the OAuth-only setup, with the owner's token.
 */
export class CommitStatuses {
  constructor(
    private readonly deps: {
      rows: DeploymentRows;
      github: GitHubApi;
      encryptor: Encryptor;
      logger: Logger;
      /** Where the UI is, for the commit status's link. */
      publicUrl: string;
      /** The App's reports, when an App may be connected. */
      reports?: GitHubReports | undefined;
    },
  ) {}

  /**
   * Sets the commit status on GitHub once per state, after recording it: a
   * failure is logged and never holds up the deployment.
   */
  post(row: WorkRow, state: GitHubStatusState, description: string): void {
    const { reports } = this.deps;
    if (!builds(row) || (!isGitHubAccount(row.github_id) && !reports) || row.github_status === state) return;
    const match = REPO_URL_PATTERN.exec(row.repo_url);
    const owner = match?.[1];
    const repo = match?.[2];
    if (!owner || !repo) return;
    row.github_status = state;
    const post = async () => {
      if (!(await this.deps.rows.recordGitHubStatus(row.id, state))) return;
      const repositoryId = reports ? await reports.covers(row) : null;
      if (reports && repositoryId !== null) {
        reports.report(row, repositoryId, state, description);
        return;
      }
      // Nothing is reported for a binding shown only by publicness: the owner has no role on the repository.
      if (!isGitHubAccount(row.github_id) || row.github_repository_public_only === true) return;
      await this.deps.github.setCommitStatus(this.deps.encryptor.decrypt(row.github_access_token), {
        owner,
        repo,
        sha: row.commit_sha,
        state,
        targetUrl: `${this.deps.publicUrl}/services/${row.service_id}/deployments/${row.id}`,
        description,
      });
    };
    post().catch((error: unknown) => this.deps.logger.warn({ deploymentId: row.id, state, err: error }, 'could not set the GitHub commit status'));
  }

  /** The build started (its Job runs): the App's Check Run and Deployment say `in_progress`; commit statuses have no such state. */
  building(row: WorkRow): void {
    const { reports } = this.deps;
    if (!builds(row) || !reports) return;
    reports
      .covers(row)
      .then((repositoryId) => {
        if (repositoryId !== null) reports.building(row, repositoryId);
      })
      .catch((error: unknown) => this.deps.logger.warn({ deploymentId: row.id, err: error }, 'could not report the build to GitHub'));
  }
}
