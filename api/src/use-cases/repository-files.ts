import { z } from 'zod';
import {
  REPO_URL_PATTERN,
  WatchPaths,
  branchSchema,
  repoUrlSchema,
  watchPathsSchema,
  type DockerfileSuggestionDto,
  type RepositoryDockerfilesDto,
  type WatchedFilesDto,
} from '@dangus/common';
import { ConflictError } from '../errors.js';
import { UserEntity } from '../db/entities/index.js';
import { isGitHubAccount } from '../auth/local-sign-in.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { parseInput } from './validate.js';

/*
 * What the new-service form reads of a repository (issue 37), with the user's own GitHub
 * token: the Dockerfiles of a branch's head, and which of its files watch paths select.
 * Both read the head's whole file list once, through the Git trees API.
 */

/** Files listed in a preview; the count covers all. */
const MATCHED_LISTED = 200;
/** Dockerfiles suggested, at most. */
const DOCKERFILES_LISTED = 50;
/** Folders whose Dockerfiles are someone else's (dependencies, vendored code). */
const FOREIGN = /(^|\/)(node_modules|vendor|third_party|\.git)\//;
const DOCKERFILE = /(^|\/)(Dockerfile(\.[^/]+)?|[^/]+\.Dockerfile|Containerfile)$/;
/** A folder holding only build files: the context is its parent. */
const BUILD_FOLDER = /^(docker|\.docker|dockerfiles)$/i;
/** Root files a change of which usually changes every app of a monorepo. */
const ROOT_FILES = [
  'package-lock.json', 'yarn.lock', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', 'bun.lock', 'bun.lockb',
  'go.work', 'go.work.sum', 'Cargo.lock', 'poetry.lock', 'uv.lock', 'Gemfile.lock', 'composer.lock',
];

/** A query string value: one, several (repeated keys) or none. */
const listParam = z.union([z.string(), z.array(z.string())]).transform((value) => (Array.isArray(value) ? value : [value]));

/** `?repoUrl=&branch=` (the branch `main` unless given). */
export const repositoryQuery = z.strictObject({ repoUrl: repoUrlSchema, branch: branchSchema.default('main') });
/** `?repoUrl=&branch=&watchPaths=…`, one `watchPaths` per pattern. */
export const watchedQuery = repositoryQuery.extend({ watchPaths: listParam.pipe(watchPathsSchema).default([]) });

/** `GET /api/repository/dockerfiles?repoUrl=&branch=`: the Dockerfiles found, each with a suggested context and watch paths. */
export async function listDockerfiles(ctx: UseCaseContext, user: CurrentUser, query: unknown): Promise<RepositoryDockerfilesDto> {
  const { repoUrl, branch } = parseInput(repositoryQuery, query);
  const head = await headFiles(ctx, user, repoUrl, branch);
  const rootFiles = ROOT_FILES.filter((file) => head.paths.includes(file));
  const dockerfiles = head.paths
    .filter((path) => DOCKERFILE.test(path) && !FOREIGN.test(path))
    .sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b))
    .slice(0, DOCKERFILES_LISTED)
    .map((path) => suggestionFor(path, rootFiles));
  return { commitSha: head.sha, dockerfiles, rootFiles, truncated: head.truncated };
}

/** `GET /api/repository/watched-files?repoUrl=&branch=&watchPaths=…`: the files of the branch's head the patterns select. */
export async function listWatchedFiles(ctx: UseCaseContext, user: CurrentUser, query: unknown): Promise<WatchedFilesDto> {
  const { repoUrl, branch, watchPaths } = parseInput(watchedQuery, query);
  const head = await headFiles(ctx, user, repoUrl, branch);
  const watch = new WatchPaths(watchPaths);
  const matched = head.paths.filter((path) => watch.matches(path));
  return {
    commitSha: head.sha,
    watchPaths,
    fileCount: head.paths.length,
    matchedCount: matched.length,
    matched: matched.slice(0, MATCHED_LISTED),
    truncated: head.truncated,
  };
}

/**
 * A service built from the Dockerfile at `path`: its folder is the context (or the folder
 * above a `docker/` folder), the Dockerfile path is relative to it, and the context is
 * watched, with the root's lockfiles when the context is not the root.
 */
export function suggestionFor(path: string, rootFiles: readonly string[]): DockerfileSuggestionDto {
  const folders = path.split('/').slice(0, -1);
  if (folders.length > 0 && BUILD_FOLDER.test(folders.at(-1) ?? '')) folders.pop();
  const contextDir = folders.length === 0 ? '.' : folders.join('/');
  const dockerfilePath = contextDir === '.' ? path : path.slice(contextDir.length + 1);
  const watchPaths = contextDir === '.' ? [] : [`${contextDir}/**`, ...rootFiles];
  return { path, contextDir, dockerfilePath, watchPaths };
}

/**
 * The files of the branch's head, read with the user's GitHub token (anonymously for the
 * local user, who has none: then only a public repository can be read).
 */
async function headFiles(ctx: UseCaseContext, user: CurrentUser, repoUrl: string, branch: string) {
  const owner = await ctx.db.getRepository(UserEntity).findOneByOrFail({ id: user.id });
  const match = REPO_URL_PATTERN.exec(repoUrl);
  if (!match?.[1] || !match[2]) throw new ConflictError('Not a GitHub repository URL.');
  const token = isGitHubAccount(owner.githubId) ? ctx.encryptor.decrypt(owner.githubAccessToken) : null;
  const head = await ctx.github.branchHead(token, match[1], match[2], branch);
  const tree = await ctx.github.tree(token, match[1], match[2], head.sha);
  return { sha: head.sha, paths: tree.paths, truncated: tree.truncated };
}
