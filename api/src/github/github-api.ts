import { Octokit } from '@octokit/rest';
import { UpstreamError } from '../errors.js';
import { compareCommits, readTree, type CommitComparison, type RepositoryTree } from './github-repos.js';

/** The part of GitHub's REST API the platform uses, behind an interface for the fake in tests. */
export interface GitHubApi {
  /** The commit at the head of `branch` of `owner/repo`, read with the user's token (`null`: anonymously, a public repository). */
  branchHead(token: string | null, owner: string, repo: string, branch: string): Promise<{ sha: string; message: string }>;
  /**
   * Whether anyone may read `owner/repo` without a token: `public`, or `hidden` (private, or
   * no such repository: GitHub answers both with 404). Throws when GitHub cannot answer.
   */
  repoVisibility(owner: string, repo: string): Promise<'public' | 'hidden'>;
  /** Sets the platform's commit status on `sha` of `owner/repo` with the user's token. */
  setCommitStatus(token: string, status: CommitStatus): Promise<void>;
  /** Every file of the commit `ref` (a sha or a branch) names, through the Git trees API (github-repos.ts); anonymously with no token. */
  tree(token: string | null, owner: string, repo: string, ref: string): Promise<RepositoryTree>;
  /** The files `head` changed since its merge base with `base`, through the compare API (github-repos.ts). */
  compare(token: string | null, owner: string, repo: string, base: string, head: string, options?: { timeoutMs?: number }): Promise<CommitComparison>;
}

export interface CommitStatus {
  owner: string;
  repo: string;
  sha: string;
  state: 'pending' | 'success' | 'failure' | 'error';
  /** Link shown beside the status: the deployment's page. */
  targetUrl: string;
  /** At most 140 characters (GitHub's limit); longer is cut. */
  description: string;
}

/** The status context: one line per platform in GitHub's checks list. */
export const COMMIT_STATUS_CONTEXT = 'dangus-cloud/deploy';

/** Octokit logs failed requests itself; ours become typed errors instead. */
const silentLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export class OctokitGitHubApi implements GitHubApi {
  constructor(private readonly baseUrl: string) {}

  private client(token: string | null): Octokit {
    return new Octokit({ ...(token === null ? {} : { auth: token }), baseUrl: this.baseUrl, log: silentLog, request: { retries: 0, timeout: 10_000 } });
  }

  tree(token: string | null, owner: string, repo: string, ref: string): Promise<RepositoryTree> {
    return readTree(this.client(token), owner, repo, ref, 10_000);
  }

  compare(token: string | null, owner: string, repo: string, base: string, head: string, options: { timeoutMs?: number } = {}): Promise<CommitComparison> {
    return compareCommits(this.client(token), owner, repo, base, head, options.timeoutMs ?? 10_000);
  }

  async setCommitStatus(token: string, status: CommitStatus): Promise<void> {
    try {
      await this.client(token).rest.repos.createCommitStatus({
        owner: status.owner,
        repo: status.repo,
        sha: status.sha,
        state: status.state,
        target_url: status.targetUrl,
        description: status.description.length > 140 ? `${status.description.slice(0, 139)}…` : status.description,
        context: COMMIT_STATUS_CONTEXT,
      });
    } catch (error) {
      const code = (error as { status?: number }).status;
      throw new UpstreamError(
        `GitHub refused the commit status of ${status.owner}/${status.repo}@${status.sha.slice(0, 7)}${code ? ` (HTTP ${code})` : ''}.`,
        { cause: error },
      );
    }
  }

  async repoVisibility(owner: string, repo: string): Promise<'public' | 'hidden'> {
    try {
      const { data } = await this.client(null).rest.repos.get({ owner, repo });
      return data.private ? 'hidden' : 'public';
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 404) return 'hidden';
      throw new UpstreamError(`GitHub could not say whether ${owner}/${repo} is public${status ? ` (HTTP ${status})` : ''}.`, { cause: error });
    }
  }

  async branchHead(token: string | null, owner: string, repo: string, branch: string): Promise<{ sha: string; message: string }> {
    const octokit = this.client(token);
    try {
      const { data } = await octokit.rest.repos.getBranch({ owner, repo, branch });
      return { sha: data.commit.sha, message: data.commit.commit.message };
    } catch (error) {
      const status = (error as { status?: number }).status;
      throw new UpstreamError(
        status === 404
          ? `GitHub has no branch "${branch}" in ${owner}/${repo}, or ${token === null ? 'the repository is not public' : 'your token cannot see the repository'}.`
          : `GitHub could not resolve branch "${branch}" of ${owner}/${repo}${status ? ` (HTTP ${status})` : ''}.`,
        { cause: error },
      );
    }
  }
}
