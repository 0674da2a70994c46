import { previewById } from '../db/previews-repo.js';
import { previewGitHub } from '../github/preview-github.js';
import { fullNameOf } from '../github/repository-access.js';
import { previewTarget, type PreviewContext } from './preview-events.js';
import { reportPreview } from './preview-reports.js';

/**
 * A preview's build moved it (pipeline/preview-builds.ts: `live` with its image, or `failed`):
 * the pull request's one comment and its GitHub Deployment say so (success with the preview's
 * URL, or failure). GitHub's failures are logged and change nothing.
 */
export async function reportPreviewBuild(ctx: PreviewContext, previewId: string): Promise<void> {
  const row = await previewById(ctx.db.manager, previewId);
  if (!row) return;
  const service = await previewTarget(ctx.db.manager, row.serviceId);
  const [repo] = await ctx.db.query<{ repoUrl: string; id: string | null }[]>(
    `SELECT repo_url AS "repoUrl", github_repository_id::text AS id FROM services WHERE id = $1`,
    [row.serviceId],
  );
  const name = repo ? fullNameOf(repo.repoUrl) : null;
  if (!service || !name || !repo?.id) return;
  await reportPreview(ctx, await previewGitHub(ctx, { id: Number(repo.id), fullName: `${name.owner}/${name.repo}` }), service, row);
}
