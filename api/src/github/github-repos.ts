import type { Octokit } from '@octokit/rest';
import { UpstreamError } from '../errors.js';

/*
 * The repository reads of monorepos (issue 37): a commit's file list (Git trees API) and
 * the files two commits differ in (compare API). Kept apart from github-api.ts, which
 * delegates here.
 */

/** The files of a commit's tree (blobs only, paths from the root), as the Git trees API lists them. */
export interface RepositoryTree {
  /** The commit the tree is of (a branch name is resolved to its head). */
  sha: string;
  paths: string[];
  /** GitHub lists at most 100,000 entries (7 MB): the list is then partial. */
  truncated: boolean;
}

/** What GitHub's compare API tells of `base...head`. */
export interface CommitComparison {
  /** `head` relative to `base`: `ahead` (a fast-forward), `behind`, `diverged` or `identical`. */
  status: 'ahead' | 'behind' | 'diverged' | 'identical';
  /** The files changed from the merge base to `head`, renamed files under both names. */
  files: string[];
  /** GitHub lists at most 300 files of a comparison: more may have changed. */
  truncated: boolean;
}

/** GitHub's limit on the files of a comparison. */
export const COMPARE_FILES_MAX = 300;

function failure(what: string, error: unknown): UpstreamError {
  const status = (error as { status?: number }).status;
  return new UpstreamError(`${what}${status ? ` (HTTP ${String(status)})` : ''}.`, { cause: error });
}

/** `GET /repos/{owner}/{repo}/git/trees/{ref}?recursive=1`: every file of the commit `ref` names (given up after `timeoutMs`). */
export async function readTree(octokit: Octokit, owner: string, repo: string, ref: string, timeoutMs: number): Promise<RepositoryTree> {
  try {
    const request = { signal: AbortSignal.timeout(timeoutMs) };
    const { data } = await octokit.rest.git.getTree({ owner, repo, tree_sha: ref, recursive: '1', request });
    return {
      sha: data.sha,
      paths: data.tree.filter((entry) => entry.type === 'blob').map((entry) => entry.path),
      truncated: data.truncated,
    };
  } catch (error) {
    throw failure(`GitHub could not list the files of ${owner}/${repo} at "${ref}"`, error);
  }
}

/**
 * `GET /repos/{owner}/{repo}/compare/{base}...{head}`: the files `head` changed since its merge
 * base with `base` (given up after `timeoutMs`). One page of commits: the files come whole on the first.
 */
export async function compareCommits(
  octokit: Octokit,
  owner: string,
  repo: string,
  base: string,
  head: string,
  timeoutMs: number,
): Promise<CommitComparison> {
  try {
    const request = { signal: AbortSignal.timeout(timeoutMs) };
    const basehead = `${base}...${head}`;
    const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead, per_page: 1, request });
    const files = new Set<string>();
    for (const file of data.files ?? []) {
      files.add(file.filename);
      if (file.previous_filename) files.add(file.previous_filename);
    }
    return { status: data.status, files: [...files], truncated: (data.files?.length ?? 0) >= COMPARE_FILES_MAX };
  } catch (error) {
    throw failure(`GitHub could not compare ${base.slice(0, 7)}...${head.slice(0, 7)} of ${owner}/${repo}`, error);
  }
}
