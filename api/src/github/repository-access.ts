import { REPO_URL_PATTERN } from '@dangus/common';
import type { DataSource, EntityManager } from 'typeorm';
import { installationOfRepository, type GitHubApp } from './github-app.js';
import type { Visibility } from './repo-visibility.js';

/**
 * How the platform reads a service's repository (docs/architecture.md#github-app):
 * - `app`: through the GitHub App, with an installation token for that one repository;
 * - `user`: no App is connected, so the owner's own token (today's OAuth setup);
 * - `anonymous`: an App is connected but does not cover this public repository;
 * - `refused`: an App is connected and the repository is private (or unknown) and outside
 *   every installation (never installed, removed from its installation, or uninstalled):
 *   nothing can read it, and the reason says what to do.
 */
export type RepositoryAccess =
  | { via: 'app'; repositoryId: number; fullName: string }
  | { via: 'user' }
  | { via: 'anonymous' }
  | { via: 'refused'; reason: string };

export interface RepositoryAccessDeps {
  db: DataSource;
  githubApp?: GitHubApp | undefined;
  /** Whether anyone may read a repository (asked anonymously, cached). */
  visibility(owner: string, repo: string): Promise<Visibility>;
}

const NOT_INSTALLED = 'The GitHub App is not installed on ';

/** Whether an ability's reason is the App's refusal of the repository. */
export function isNotInstalledReason(reason: string | null): boolean {
  return reason?.startsWith(NOT_INSTALLED) === true;
}

export function notInstalledReason(fullName: string): string {
  return `${NOT_INSTALLED}${fullName} (it was uninstalled, or the repository was removed from its installation), so the platform cannot read it: install the App on the repository to build it.`;
}

/** `owner/repo` of a GitHub repository URL, or null. */
export function fullNameOf(repoUrl: string): { owner: string; repo: string } | null {
  const match = REPO_URL_PATTERN.exec(repoUrl);
  return match?.[1] && match[2] ? { owner: match[1], repo: match[2] } : null;
}

/**
 * GitHub says the repository is private (an installation's rows, an event's payload): the
 * services bound to it only because it was public (`github_repository_public_only`: nobody
 * showed they read it) are unbound. Returns how many.
 */
export async function forgetPublicOnlyBindings(db: DataSource | EntityManager, repositoryIds: readonly number[]): Promise<number> {
  if (repositoryIds.length === 0) return 0;
  const [, count] = await db.query<[unknown[], number]>(
    `UPDATE services SET github_repository_id = NULL, github_repository_public_only = false
      WHERE github_repository_public_only AND github_repository_id = ANY($1::bigint[])`,
    [repositoryIds],
  );
  return count;
}

const UNBOUND = 'The platform has not checked that you can read ';

/** Whether an ability's reason is that nobody showed the service's owner reads its repository. */
export function isUnboundReason(reason: string | null): boolean {
  return reason?.startsWith(UNBOUND) === true;
}

/** Why an unbound service's private repository is not read: nobody has shown that its owner may read it. */
export function unboundReason(fullName: string): string {
  return `${UNBOUND}${fullName} on GitHub, so it does not build it: open the service's settings and choose "Check access" (or save the repository again, or reconnect GitHub) so the platform can check that you can read it.`;
}

/**
 * How `service`'s repository is read now. Only a service bound to GitHub's repository id
 * (bound when a user was shown to read it: use-cases/repository-binding.ts) is read through
 * an installation; an unbound one is read as anyone reads it, and refused when private.
 */
export async function repositoryAccess(
  deps: RepositoryAccessDeps,
  service: { id: string; repoUrl: string; githubRepositoryId: string | null },
): Promise<RepositoryAccess> {
  if (!deps.githubApp || !(await deps.githubApp.credentials())) return { via: 'user' };
  const name = fullNameOf(service.repoUrl);
  const fullName = name ? `${name.owner}/${name.repo}` : service.repoUrl;
  const id = service.githubRepositoryId;
  const installed = id === null ? undefined : await installationOfRepository(deps.db, Number(id));
  if (installed?.private) {
    // Bound only because it was public, and private now: nobody showed they read it.
    const [row] = await deps.db.query<{ publicOnly: boolean }[]>(`SELECT github_repository_public_only AS "publicOnly" FROM services WHERE id = $1`, [service.id]);
    if (row?.publicOnly) {
      await forgetPublicOnlyBindings(deps.db, [installed.repositoryId]);
      return { via: 'refused', reason: unboundReason(fullName) };
    }
  }
  if (installed) return { via: 'app', repositoryId: installed.repositoryId, fullName: installed.fullName };
  // Outside every installation, or unbound: a public repository is read as anyone reads it.
  const visibility = name ? await deps.visibility(name.owner, name.repo) : 'hidden';
  if (visibility !== 'hidden') return { via: 'anonymous' };
  // Never looked up by name here: that an installation holds a repository of this name says nothing of who typed it.
  return { via: 'refused', reason: id === null ? unboundReason(fullName) : notInstalledReason(fullName) };
}
