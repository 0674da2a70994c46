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
  const rows = await db.query<{ id: string; service_id: string; service_name: string; pr_number: number; host: string; head_sha: string; state: string }[]>(
    `SELECT p.id, p.service_id, s.name AS service_name, p.pr_number, p.host, p.head_sha, p.state
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
      commitSha: row.head_sha,
      // No preview build reports an image yet (docs/architecture.md#previews): no Deployment.
      image: null,
      build: row.state === 'pending' || row.state === 'building' ? { deploymentId: row.id, commitSha: row.head_sha, gitTokenSecretName: secret, registrySecretName: secret } : null,
    });
    byService.set(row.service_id, list);
  }
  return byService;
}
