import type { PreviewInput } from '@dangus/gitops-writer';
import { previewName } from '@dangus/gitops-writer';
import { buildSecretName } from '@dangus/gitops-writer/names';
import type { DataSource } from 'typeorm';

/**
 * The previews the renderer puts in the tenants' trees (docs/architecture.md#previews), by
 * service: the open ones that hold a place (not waiting for an approval, not refused), each
 * with its build Job while its head commit waits to be built. A closed preview is absent,
 * so the commit after it closed prunes its objects.
 */
export async function loadPreviews(db: DataSource, serviceIds: string[]): Promise<Map<string, PreviewInput[]>> {
  const byService = new Map<string, PreviewInput[]>();
  if (serviceIds.length === 0) return byService;
  const rows = await db.query<{ id: string; service_id: string; service_name: string; pr_number: number; host: string; head_sha: string; state: string; image: string | null }[]>(
    `SELECT p.id, p.service_id, s.name AS service_name, p.pr_number, p.host, p.head_sha, p.state, p.image
       FROM previews p JOIN services s ON s.id = p.service_id
      WHERE p.service_id = ANY($1::uuid[]) AND p.closed_at IS NULL AND p.state IN ('pending', 'building', 'live', 'failed')
      ORDER BY p.service_id, p.pr_number`,
    [serviceIds],
  );
  for (const row of rows) {
    const secret = buildSecretName(previewName(row.service_name, row.pr_number), row.head_sha);
    const list = byService.get(row.service_id) ?? [];
    list.push({
      id: row.id,
      number: row.pr_number,
      host: row.host,
      // What runs: the commit of its image (`…:{sha}@sha256:…`), the head once it is built.
      commitSha: /:([0-9a-f]{40})@sha256:/.exec(row.image ?? '')?.[1] ?? row.head_sha,
      // The image its last build pushed (pipeline/preview-builds.ts): a Deployment once it has one.
      image: row.image,
      build: row.state === 'pending' || row.state === 'building' ? { deploymentId: row.id, commitSha: row.head_sha, gitTokenSecretName: secret, registrySecretName: secret } : null,
    });
    byService.set(row.service_id, list);
  }
  return byService;
}
