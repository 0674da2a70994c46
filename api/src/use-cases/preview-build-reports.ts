import { previewById } from '../db/previews-repo.js';
import { boundPreviewGitHub } from '../github/bound-preview-github.js';
import { previewTarget, type PreviewContext } from './preview-events.js';
import { reportPreview } from './preview-reports.js';

/**
 * A preview's build moved it (pipeline/preview-builds.ts: `live` with its image, or `failed`):
 * the pull request's one comment and its GitHub Deployment say so (success with the preview's
 * URL, or failure), through the service's proven binding only (bound-preview-github.ts: a
 * public-only or missing binding tells GitHub nothing). GitHub's failures are logged and
 * change nothing.
 */
export async function reportPreviewBuild(ctx: PreviewContext, previewId: string): Promise<void> {
  const row = await previewById(ctx.db.manager, previewId);
  if (!row) return;
  const service = await previewTarget(ctx.db.manager, row.serviceId);
  if (!service) return;
  const { github } = await boundPreviewGitHub(ctx, row.serviceId);
  if (!github) return;
  await reportPreview(ctx, github, service, row);
}
