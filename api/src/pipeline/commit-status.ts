import { REPO_URL_PATTERN } from '@dangus/common';
import type { Logger } from 'pino';
import type { Encryptor } from '../crypto/encryption.js';
import type { GitHubStatusState } from '../db/entities/index.js';
import type { GitHubApi } from '../github/github-api.js';
import { LOCAL_GITHUB_ID } from '../auth/local-sign-in.js';
import { builds, type DeploymentRows, type WorkRow } from './deployment-rows.js';

/** The commit statuses a deployment sets on GitHub for the commit it builds. */
export class CommitStatuses {
  constructor(
    private readonly deps: {
      rows: DeploymentRows;
      github: GitHubApi;
      encryptor: Encryptor;
      logger: Logger;
      /** Where the UI is, for the commit status's link. */
      publicUrl: string;
    },
  ) {}

  /**
   * Sets the commit status on GitHub once per state, after recording it: a
   * failure is logged and never holds up the deployment.
   */
  post(row: WorkRow, state: GitHubStatusState, description: string): void {
    if (!builds(row) || row.github_id === LOCAL_GITHUB_ID || row.github_status === state) return;
    const match = REPO_URL_PATTERN.exec(row.repo_url);
    const owner = match?.[1];
    const repo = match?.[2];
    if (!owner || !repo) return;
    row.github_status = state;
    const post = async () => {
      if (!(await this.deps.rows.recordGitHubStatus(row.id, state))) return;
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
}
