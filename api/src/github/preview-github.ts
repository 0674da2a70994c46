import { Octokit } from '@octokit/rest';
import { installationOfRepository, type GitHubApp } from './github-app.js';
import type { DataSource } from 'typeorm';

/** Octokit logs failed requests itself; callers log ours. */
const silentLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** A collaborator's permission as GitHub answers it (`maintain` reads as `write`, `triage` as `read`). */
export type RepositoryPermission = 'admin' | 'write' | 'read' | 'none';

/** An open pull request as the reconcile reads it. */
export interface OpenPull {
  number: number;
  payload: Record<string, unknown>;
}

/**
 * What previews ask of GitHub about one repository (issue 35), through the App with an
 * installation token for that one repository: who may write (the collaborator permission
 * API), the open pull requests, and the one comment on a pull request.
 */
export interface PreviewGitHub {
  permission(login: string): Promise<RepositoryPermission>;
  openPulls(base: string): Promise<OpenPull[]>;
  /** Creates the comment (`commentId` null) or edits it in place; returns its id. */
  comment(number: number, commentId: string | null, body: string): Promise<string>;
  /** A GitHub Deployment of `sha` to `environment` (created once) and a status of it; returns its id. */
  deploymentStatus(deploymentId: string | null, sha: string, environment: string, state: 'in_progress' | 'success' | 'failure' | 'inactive', url: string | null): Promise<string>;
}

/**
 * The repository's GitHub for previews, or null when the App does not hold it: without it
 * nothing can tell who may write, so every pull request then waits for an approval in the UI.
 */
export async function previewGitHub(
  deps: { db: DataSource; githubApp?: GitHubApp },
  repository: { id: number; fullName: string },
): Promise<PreviewGitHub | null> {
  const app = deps.githubApp;
  if (!app || !(await app.credentials()) || !(await installationOfRepository(deps.db, repository.id))) return null;
  const [owner = '', repo = ''] = repository.fullName.split('/');
  const client = async () => {
    const { token } = await app.tokenForRepository(repository.id, { metadata: 'read', pull_requests: 'write', deployments: 'write' });
    return new Octokit({ auth: token, baseUrl: app.apiUrl, log: silentLog, request: { retries: 0, timeout: 10_000 } });
  };
  return {
    async permission(login) {
      const { data } = await (await client()).rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: login });
      const permission: string = data.permission;
      return permission === 'admin' || permission === 'write' || permission === 'read' ? permission : permission === 'maintain' ? 'write' : 'none';
    },
    async openPulls(base) {
      const octokit = await client();
      const pulls = await octokit.paginate(octokit.rest.pulls.list, { owner, repo, state: 'open', base, per_page: 100 });
      return pulls.map((pull) => ({ number: pull.number, payload: pull }));
    },
    async comment(number, commentId, body) {
      const octokit = await client();
      if (commentId !== null) {
        const { data } = await octokit.rest.issues.updateComment({ owner, repo, comment_id: Number(commentId), body });
        return String(data.id);
      }
      const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: number, body });
      return String(data.id);
    },
    async deploymentStatus(deploymentId, sha, environment, state, url) {
      const octokit = await client();
      let id = deploymentId;
      if (id === null) {
        const created = await octokit.rest.repos.createDeployment({
          owner, repo, ref: sha, environment, auto_merge: false, required_contexts: [], transient_environment: true, production_environment: false,
        });
        if (!('id' in created.data)) throw new Error(`GitHub made no deployment: ${created.data.message ?? 'no reason'}`);
        id = String(created.data.id);
      }
      await octokit.rest.repos.createDeploymentStatus({ owner, repo, deployment_id: Number(id), state, ...(url ? { environment_url: url } : {}) });
      return id;
    },
  };
}
