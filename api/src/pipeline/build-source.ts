import { isGitHubAccount } from '../auth/local-sign-in.js';
import { RepoVisibility } from '../github/repo-visibility.js';
import { repositoryAccess, type RepositoryAccess } from '../github/repository-access.js';
import { recheckBinding } from '../github/binding-recheck.js';
import type { PipelineDeps } from './pipeline-deps.js';
import type { WorkRow } from './deployment-rows.js';

/** The git token a build's fetch step gets, or why the build cannot read its repository. */
export type BuildSourceToken = { token: string } | { refused: string };

/**
 * The credential of a build's fetch step (docs/architecture.md#github-app). With a GitHub
 * App covering the repository: an installation token minted for that one repository with
 * `contents: read` only (an hour at most, as GitHub allows), never stored: it reaches the
 * build's Secret in the cluster as the user's token did, and is kept in this process only
 * to redact it from the build's log. No user token reaches a build while an App is
 * connected; without an App, the owner's token (empty for the local user); a public
 * repository outside the App's installations is fetched anonymously.
 */
export class BuildSource {
  private readonly minted = new Map<string, string>();
  /** Asked anonymously for a repository outside the App's installations: kept a minute (GitHub allows 60 such requests an hour). */
  private readonly visibility: RepoVisibility;

  constructor(private readonly deps: Pick<PipelineDeps, 'db' | 'encryptor' | 'githubApp' | 'github'>) {
    this.visibility = new RepoVisibility(deps.github);
  }

  /** How the row's repository is read now (a refusal names the reason). */
  access(row: WorkRow, githubRepositoryId = row.github_repository_id): Promise<RepositoryAccess> {
    return repositoryAccess(
      {
        db: this.deps.db,
        githubApp: this.deps.githubApp,
        visibility: (owner, repo) => this.visibility.of(owner, repo),
      },
      { id: row.service_id, repoUrl: row.repo_url, githubRepositoryId },
    );
  }

  async tokenFor(row: WorkRow): Promise<BuildSourceToken> {
    // A proof whose prover lost the right to bind, or older than a day, is asked of GitHub
    // again first: a binding nobody may show any more is cleared, and the build refused.
    const bound = row.github_repository_id !== null && row.github_repository_public_only !== true
      ? (await recheckBinding({ db: this.deps.db, encryptor: this.deps.encryptor, githubApp: this.deps.githubApp }, row.service_id, { onlyIfDue: true })).repositoryId
      : row.github_repository_id;
    const access = await this.access(row, bound);
    switch (access.via) {
      case 'refused':
        return { refused: access.reason };
      case 'anonymous':
        return { token: '' };
      case 'user':
        return { token: this.userToken(row) };
      case 'app': {
        if (!this.deps.githubApp) return { refused: 'No GitHub App is connected.' };
        const { token } = await this.deps.githubApp.tokenForRepository(access.repositoryId, { contents: 'read' });
        this.minted.set(row.id, token);
        return { token };
      }
    }
  }

  /** Every token of the row's build this process knows (for the log's redaction). */
  secrets(row: WorkRow): string[] {
    const minted = this.minted.get(row.id);
    return [this.userToken(row), ...(minted ? [minted] : [])].filter(Boolean);
  }

  forget(id: string): void {
    this.minted.delete(id);
  }

  private userToken(row: WorkRow): string {
    return isGitHubAccount(row.github_id) ? this.deps.encryptor.decrypt(row.github_access_token) : '';
  }
}
