import type { DataSource } from 'typeorm';
import type { GitHubApp } from './github-app.js';
import { previewGitHub, type PreviewGitHub } from './preview-github.js';
import { fullNameOf } from './repository-access.js';

/** GitHub for a service's previews, or null with why nothing is asked of or told to GitHub. */
export type BoundPreviewGitHub = { github: PreviewGitHub; why: null } | { github: null; why: string };

/**
 * Previews act on GitHub (who may write, comments, Deployments) only through the service's
 * stored binding (`services.github_repository_id`, proven by a user: use-cases/repository-binding.ts),
 * never through an id a payload names: a per-service webhook's payload is signed with a
 * secret the service's members hold, so it proves nothing about another account's repository.
 * A binding shown only by publicness (`github_repository_public_only`) writes nothing with
 * an installation token either. `payloadRepositoryId`, when given, must be the bound id.
 */
export async function boundPreviewGitHub(deps: { db: DataSource; githubApp?: GitHubApp }, serviceId: string, payloadRepositoryId?: number): Promise<BoundPreviewGitHub> {
  const [row] = await deps.db.query<{ repoUrl: string; id: string | null; publicOnly: boolean }[]>(
    `SELECT repo_url AS "repoUrl", github_repository_id::text AS id, github_repository_public_only AS "publicOnly" FROM services WHERE id = $1`,
    [serviceId],
  );
  const name = row ? fullNameOf(row.repoUrl) : null;
  if (!row || !name || row.id === null) return { github: null, why: 'the service is not bound to its GitHub repository (nobody has shown they can read it)' };
  if (row.publicOnly) return { github: null, why: 'the service is bound to its repository only because it is public, so the platform writes nothing to it on GitHub' };
  if (payloadRepositoryId !== undefined && String(payloadRepositoryId) !== row.id) {
    return { github: null, why: `the pull request's repository id ${String(payloadRepositoryId)} is not the id the service is bound to` };
  }
  const github = await previewGitHub(deps, { id: Number(row.id), fullName: `${name.owner}/${name.repo}` });
  return github ? { github, why: null } : { github: null, why: 'the GitHub App is not installed on the repository' };
}
