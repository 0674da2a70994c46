import { Octokit } from '@octokit/rest';
import type { RepositoryBranchesDto, UserRepositoryDto } from '@dangus/common';
import { z } from 'zod';
import { installationOfRepository, type GitHubApp } from '../github/github-app.js';
import { userTokenFor } from '../github/user-tokens.js';
import { ConflictError, NoGitHubAppError, NotFoundError, UpstreamError, ValidationError } from '../errors.js';
import type { CurrentUser, UseCaseContext } from './context.js';

/*
 * What a user reaches on GitHub through the App, for the new-service form's pickers: their
 * repositories (`GET /api/github/repositories`) and a repository's branches
 * (`GET /api/github/repositories/{owner}/{repo}/branches`). Who may see a repository is
 * GitHub's answer to the user's own token, never the rows; a repository they cannot see is
 * a 404 that says nothing of what GitHub answered.
 */

const silentLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** At most this many branches are listed (ten of GitHub's pages); the form lets the user type any other. */
export const BRANCHES_LISTED = 1000;

export type UserRepository = UserRepositoryDto;
export type RepositoryBranches = RepositoryBranchesDto;

const userInstallations = z.array(z.object({ id: z.number().int(), account: z.object({ login: z.string(), type: z.string().optional() }).nullable() }));
const userRepositories = z.array(z.object({ id: z.number().int(), full_name: z.string(), private: z.boolean(), default_branch: z.string().optional() }));
const repositoryAnswer = z.object({ id: z.number().int(), full_name: z.string(), private: z.boolean(), default_branch: z.string() });
const branchAnswer = z.object({ name: z.string() });

const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPOSITORY = /^[A-Za-z0-9._-]{1,100}$/;

/** The App, or 409 `no_github_app` when none is configured or connected. */
async function connectedApp(ctx: UseCaseContext): Promise<GitHubApp> {
  const app = ctx.githubApp;
  if (!app || !(await app.credentials())) throw new NoGitHubAppError();
  return app;
}

/**
 * An Octokit with the user's token of the App, refreshed first when it expired (GitHub's App
 * user tokens live 8 hours: github/user-tokens.ts); 409 when their sign-in predates the App
 * or GitHub refused the refresh (sign in again), 502 when GitHub did not answer it.
 */
async function userOctokit(ctx: UseCaseContext, app: GitHubApp, user: CurrentUser): Promise<Octokit> {
  const [row] = await ctx.db.query<{ kind: string }[]>(`SELECT github_token_kind AS kind FROM users WHERE id = $1`, [user.id]);
  if (!row || row.kind !== 'app') throw new ConflictError('Sign in again with GitHub: your sign-in predates the GitHub App.');
  const token = await userTokenFor(ctx, user.id);
  if (token === 'unknown') throw new UpstreamError('GitHub did not answer while renewing your sign-in: try again in a moment.');
  if (token === 'unasked') throw new ConflictError('Your GitHub sign-in expired: sign in again.');
  return new Octokit({ auth: token.token, baseUrl: app.apiUrl, log: silentLog, request: { retries: 0, timeout: 10_000 } });
}

function statusOf(error: unknown): number | undefined {
  return (error as { status?: number } | undefined)?.status;
}

/**
 * GitHub's failure in our words: an expired sign-in, a rate limit with the time it resets,
 * or the HTTP status; never GitHub's own message.
 */
function upstream(error: unknown, what: string): Error {
  const status = statusOf(error);
  if (status === 401) return new ConflictError('Your GitHub sign-in expired: sign in again.');
  const headers = headersOf(error);
  if ((status === 403 || status === 429) && isRateLimited(error)) {
    const resetAt = headers['x-ratelimit-reset'] !== undefined ? new Date(Number(headers['x-ratelimit-reset']) * 1000) : new Date(Date.now() + Number(headers['retry-after'] ?? 60) * 1000);
    const at = Number.isNaN(resetAt.getTime()) ? 'a while' : `${resetAt.toISOString().slice(11, 16)} UTC`;
    return new UpstreamError(`GitHub's API rate limit is used up until ${at}: ${what} then.`, { cause: error });
  }
  return new UpstreamError(`GitHub could not answer${status ? ` (HTTP ${String(status)})` : ''}: ${what} again in a moment.`, { cause: error });
}

function repoUrlOf(fullName: string): string {
  return `https://github.com/${fullName}`;
}

/**
 * The repositories the user can reach through the App's installations, as GitHub says with
 * the user's own token (`GET /user/installations`, then each one's repositories): an
 * installation the user has no access to is never listed, whatever the rows hold.
 */
export async function listUserRepositories(ctx: UseCaseContext, user: CurrentUser): Promise<UserRepository[]> {
  const app = await connectedApp(ctx);
  const octokit = await userOctokit(ctx, app, user);
  try {
    const installations = userInstallations.parse(await octokit.paginate('GET /user/installations', { per_page: 100 }));
    const repositories: UserRepository[] = [];
    for (const installation of installations) {
      const listed = userRepositories.parse(await octokit.paginate('GET /user/installations/{installation_id}/repositories', { installation_id: installation.id, per_page: 100 }));
      for (const repository of listed) {
        repositories.push({
          id: repository.id,
          fullName: repository.full_name,
          private: repository.private,
          defaultBranch: repository.default_branch ?? 'main',
          repoUrl: repoUrlOf(repository.full_name),
          installationId: installation.id,
          account: installation.account?.login ?? '',
          accountType: installation.account?.type === 'Organization' ? 'Organization' : 'User',
        });
      }
    }
    return repositories.sort((a, b) => a.fullName.localeCompare(b.fullName));
  } catch (error) {
    throw upstream(error, 'list your repositories');
  }
}

/**
 * The branches of `owner/repo`, for a user who can see it through the App: GitHub is asked
 * with the user's token whether they can (a repository they cannot see, or one outside
 * every installation, is a 404 like a missing one), then the branches are read through the
 * installation with a token minted for that one repository (`contents: read`).
 */
export async function listRepositoryBranches(ctx: UseCaseContext, user: CurrentUser, owner: string, repo: string): Promise<RepositoryBranches> {
  const fields: Record<string, string[]> = {};
  if (!OWNER.test(owner)) fields.owner = ['A GitHub account or organization name: letters, digits and "-".'];
  if (!REPOSITORY.test(repo) || repo === '.' || repo === '..') fields.repo = ['A GitHub repository name: letters, digits, ".", "_" and "-".'];
  if (Object.keys(fields).length > 0) throw new ValidationError('Not a GitHub repository name.', fields);
  const app = await connectedApp(ctx);
  const octokit = await userOctokit(ctx, app, user);

  let repository: z.infer<typeof repositoryAnswer>;
  try {
    repository = repositoryAnswer.parse((await octokit.rest.repos.get({ owner, repo })).data);
  } catch (error) {
    // GitHub answers a repository the user cannot read as one that does not exist (404), or 403 for a blocked one.
    if (statusOf(error) === 404 || (statusOf(error) === 403 && !isRateLimited(error))) throw new NotFoundError('Repository');
    throw upstream(error, 'list the branches');
  }
  const installationId = await installationOf(app, ctx, repository.id, owner, repo);
  if (installationId === undefined) throw new NotFoundError('Repository');

  let token: string;
  try {
    ({ token } = await app.mint({ installationId, repositoryIds: [repository.id], permissions: { contents: 'read' } }));
  } catch (error) {
    // Removed from the installation since the rows were written: not reachable through the App.
    const status = statusOf((error as { cause?: unknown }).cause);
    if (status === 404 || status === 422) throw new NotFoundError('Repository');
    throw upstream((error as { cause?: unknown }).cause ?? error, 'list the branches');
  }
  const installation = new Octokit({ auth: token, baseUrl: app.apiUrl, log: silentLog, request: { retries: 0, timeout: 10_000 } });
  const names: string[] = [];
  let truncated = false;
  try {
    await installation.paginate('GET /repos/{owner}/{repo}/branches', { owner, repo, per_page: 100 }, (response, done) => {
      for (const branch of response.data) {
        if (names.length === BRANCHES_LISTED) {
          truncated = true;
          done();
          break;
        }
        names.push(branchAnswer.parse(branch).name);
      }
      return [];
    });
  } catch (error) {
    if (statusOf(error) === 404) throw new NotFoundError('Repository');
    throw upstream(error, 'list the branches');
  }
  const ordered = [repository.default_branch, ...names.filter((name) => name !== repository.default_branch)];
  return {
    repository: {
      id: repository.id,
      fullName: repository.full_name,
      private: repository.private,
      defaultBranch: repository.default_branch,
      repoUrl: repoUrlOf(repository.full_name),
    },
    // An empty repository has no branch yet, not even its default one.
    branches: (names.includes(repository.default_branch) ? ordered : names).map((name) => ({ name })),
    truncated,
  };
}

function headersOf(error: unknown): Record<string, string | number | undefined> {
  return (error as { response?: { headers?: Record<string, string | number | undefined> } } | undefined)?.response?.headers ?? {};
}

function isRateLimited(error: unknown): boolean {
  const headers = headersOf(error);
  return String(headers['x-ratelimit-remaining']) === '0' || headers['retry-after'] !== undefined;
}

/**
 * The installation that holds the repository: the rows first, else GitHub's answer to the
 * App (an installation whose webhook has not arrived yet), else none.
 */
async function installationOf(app: GitHubApp, ctx: UseCaseContext, repositoryId: number, owner: string, repo: string): Promise<number | undefined> {
  const known = await installationOfRepository(ctx.db, repositoryId);
  if (known) return known.installationId;
  const octokit = await app.appOctokit();
  try {
    return (await octokit?.rest.apps.getRepoInstallation({ owner, repo }))?.data.id;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw upstream(error, 'list the branches');
  }
}
