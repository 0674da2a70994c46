import { Octokit } from '@octokit/rest';
import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import { fullNameOf } from '../github/repository-access.js';
import { userTokenFor } from '../github/user-tokens.js';
import { isGitHubAccount } from '../auth/local-sign-in.js';
import type { CurrentUser, UseCaseContext } from './context.js';

/*
 * Which GitHub repository a service is bound to (`services.github_repository_id`,
 * docs/architecture.md#github-app). The id routes the App's pushes and pull requests to the
 * service and lets its builds read the repository with an installation token, so it is
 * stored only when the acting user is shown to read the repository: GitHub answers
 * `GET /repos/{owner}/{repo}` with 200 to the user's own App token (a user token of an App
 * sees a private repository only through an installation the user can access), or the
 * repository is public (asked anonymously: anyone reads it). Never a name looked up in our
 * own tables: an installation holding a repository of that name proves nothing about who
 * typed it.
 */

const silentLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const repositoryAnswer = z.object({
  id: z.number().int().positive(),
  private: z.boolean(),
  /** The token's user's role on it (only with a user's token). */
  permissions: z.object({ admin: z.boolean().optional(), maintain: z.boolean().optional(), push: z.boolean().optional(), triage: z.boolean().optional() }).optional(),
});

/** What GitHub says of the acting user and a repository. */
export type RepositoryProof =
  /** The user reads it (their token), or anyone does (public): bind this id; `by` is the user who showed it. */
  | { id: string; via: 'user' | 'public'; by?: string }
  /** Not shown to be readable by the user: nothing is bound, and why. */
  | { id: null; reason: string };

function statusOf(error: unknown): number | undefined {
  return (error as { status?: number } | undefined)?.status;
}

/** GitHub's rate limit answered (a 429, or a 403 with `x-ratelimit-remaining: 0`), and when it resets if said. */
interface RateLimited {
  limitedUntil: Date | null;
}

function rateLimitOf(error: unknown): RateLimited | null {
  const status = statusOf(error);
  const headers = (error as { response?: { headers?: Record<string, string | number | undefined> } } | undefined)?.response?.headers ?? {};
  const remaining = headers['x-ratelimit-remaining'];
  if (status !== 429 && !(status === 403 && String(remaining) === '0')) return null;
  const reset = Number(headers['x-ratelimit-reset']);
  const retryAfter = Number(headers['retry-after']);
  const at = Number.isFinite(reset) && reset > 0 ? reset * 1000 : Number.isFinite(retryAfter) && retryAfter > 0 ? Date.now() + retryAfter * 1000 : null;
  return { limitedUntil: at === null ? null : new Date(at) };
}

/** The reason of a rate-limited check. */
function rateLimitedReason(fullName: string, limited: RateLimited): string {
  const when = limited.limitedUntil ? `try again at ${limited.limitedUntil.toISOString().slice(11, 16)} UTC` : 'try again in a few minutes';
  return `GitHub's rate limit stopped the check that you can read ${fullName}: ${when}.`;
}

/** `GET /repos/{owner}/{repo}` with `token` (anonymously when null): the repository, `hidden` (404/403), `expired` (401: the token), rate limited, or `unknown` (GitHub did not answer). */
async function askRepository(ctx: UseCaseContext, token: string | null, owner: string, repo: string): Promise<z.infer<typeof repositoryAnswer> | RateLimited | 'hidden' | 'expired' | 'unknown'> {
  const app = ctx.githubApp;
  if (!app) return 'unknown';
  const octokit = new Octokit({ ...(token ? { auth: token } : {}), baseUrl: app.apiUrl, log: silentLog, request: { retries: 0, timeout: 10_000 } });
  try {
    const parsed = repositoryAnswer.safeParse((await octokit.rest.repos.get({ owner, repo })).data);
    return parsed.success ? parsed.data : 'unknown';
  } catch (error) {
    const limited = rateLimitOf(error);
    if (limited) return limited;
    const status = statusOf(error);
    return status === 404 || status === 403 ? 'hidden' : status === 401 ? 'expired' : 'unknown';
  }
}

/**
 * Whether `user` (the acting user: a team's member acts with their own token, never the
 * team's) reads the repository at `repoUrl`, as GitHub answers now. Null when no App is
 * connected: then nothing is routed or read through an installation, and nothing is bound.
 */
export async function proveRepository(ctx: UseCaseContext, user: CurrentUser, repoUrl: string): Promise<RepositoryProof | null> {
  const app = ctx.githubApp;
  if (!app || !(await app.credentials())) return null;
  const name = fullNameOf(repoUrl);
  if (!name) return { id: null, reason: 'Not a GitHub repository URL.' };
  const fullName = `${name.owner}/${name.repo}`;
  const [row] = await ctx.db.query<{ githubId: string; kind: string }[]>(
    `SELECT github_id AS "githubId", github_token_kind AS kind FROM users WHERE id = $1`,
    [user.id],
  );
  let expired = false;
  let limited: RateLimited | null = null;
  if (row && isGitHubAccount(row.githubId) && row.kind === 'app') {
    // Their App token, refreshed first when it expired (github/user-tokens.ts); refused: sign in again.
    const fresh = await userTokenFor(ctx, user.id);
    const answer = typeof fresh === 'object' ? await askRepository(ctx, fresh.token, name.owner, name.repo) : fresh === 'unknown' ? 'unknown' : 'expired';
    expired = answer === 'expired';
    if (typeof answer === 'object' && 'limitedUntil' in answer) limited = answer;
    // A public repository answers 200 to anyone's token: that shows only that it is public,
    // unless GitHub gives the user a role on it (a collaborator keeps reading it once private).
    const role = typeof answer === 'object' && 'id' in answer && Object.values(answer.permissions ?? {}).some(Boolean);
    if (typeof answer === 'object' && 'id' in answer) return { id: String(answer.id), via: answer.private || role ? 'user' : 'public', by: user.id };
    // GitHub answers a repository the user cannot read as one that does not exist: nobody else is asked.
    if (answer === 'hidden') return { id: null, reason: `GitHub says you cannot read ${fullName} (or it does not exist), or the GitHub App is not installed on it for you: install the App on it, or ask its owner for access, then check again.` };
  }
  // No App token (the local user, a sign-in older than the App), an expired one, or GitHub did not answer:
  // a public repository is anyone's to read; only the id GitHub gives for it is bound.
  const anonymous = await askRepository(ctx, null, name.owner, name.repo);
  if (typeof anonymous === 'object' && 'id' in anonymous && !anonymous.private) return { id: String(anonymous.id), via: 'public' };
  if (limited ?? (typeof anonymous === 'object' && 'limitedUntil' in anonymous)) {
    return { id: null, reason: rateLimitedReason(fullName, limited ?? (anonymous as RateLimited)) };
  }
  if (anonymous === 'unknown') return { id: null, reason: `GitHub did not answer whether you can read ${fullName}: check access again in a moment.` };
  if (row?.kind === 'app') {
    if (expired) return { id: null, reason: `Your GitHub sign-in expired, so the platform cannot check that you can read ${fullName}: sign in again, then check access.` };
    // Asked with the user's token, GitHub gave no usable answer (an error, a timeout), and the repository is not public.
    return { id: null, reason: `GitHub did not answer when asked with your GitHub sign-in whether you can read ${fullName}, and it is not public, so nothing was checked: try again in a moment.` };
  }
  const how = row && isGitHubAccount(row.githubId) ? 'your sign-in predates the GitHub App: sign in again with GitHub' : 'you signed in without GitHub: sign in with GitHub';
  return { id: null, reason: `${fullName} is private (or does not exist) and your sign-in has no GitHub App token to show that you can read it (${how}), then check access.` };
}

/**
 * Stores the binding's kind with it (the id itself is written with the row): one shown only
 * by publicness holds while the repository stays public (github/repository-access.ts); one a
 * member showed with their token records who and when (`repository_proven_by`, `_at`): it is
 * proven again when they lose the right to bind, and daily (github/binding-recheck.ts).
 */
export async function markBinding(db: DataSource | EntityManager, serviceId: string, proof: RepositoryProof | null): Promise<void> {
  const bound = proof !== null && proof.id !== null;
  const by = bound && proof.via === 'user' ? (proof.by ?? null) : null;
  await db.query(
    `UPDATE services SET github_repository_public_only = $2, repository_proven_by = $3, repository_proven_at = CASE WHEN $4 THEN now() END WHERE id = $1`,
    [serviceId, bound && proof.via === 'public', by, bound],
  );
}
