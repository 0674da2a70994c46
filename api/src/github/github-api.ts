import { Octokit } from '@octokit/rest';
import { UpstreamError } from '../errors.js';

/** The part of GitHub's REST API the platform uses, behind an interface for the fake in tests. */
export interface GitHubApi {
  /** The commit at the head of `branch` of `owner/repo`, read with the user's token. */
  branchHead(token: string, owner: string, repo: string, branch: string): Promise<{ sha: string; message: string }>;
}

/** Octokit logs failed requests itself; ours become typed errors instead. */
const silentLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export class OctokitGitHubApi implements GitHubApi {
  constructor(private readonly baseUrl: string) {}

  async branchHead(token: string, owner: string, repo: string, branch: string): Promise<{ sha: string; message: string }> {
    const octokit = new Octokit({ auth: token, baseUrl: this.baseUrl, log: silentLog, request: { retries: 0 } });
    try {
      const { data } = await octokit.rest.repos.getBranch({ owner, repo, branch });
      return { sha: data.commit.sha, message: data.commit.commit.message };
    } catch (error) {
      const status = (error as { status?: number }).status;
      throw new UpstreamError(
        status === 404
          ? `GitHub has no branch "${branch}" in ${owner}/${repo}, or your token cannot see the repository.`
          : `GitHub could not resolve branch "${branch}" of ${owner}/${repo}${status ? ` (HTTP ${status})` : ''}.`,
        { cause: error },
      );
    }
  }
}
