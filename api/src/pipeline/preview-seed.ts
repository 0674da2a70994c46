import type { DataSource } from 'typeorm';
import type { Encryptor } from '../crypto/encryption.js';

/** What a preview's own env Secret gets at a build: the seeded values, and the seeded keys the service has no value for. */
export interface PreviewSeed {
  env: { key: string; value: string }[];
  missing: string[];
}

/**
 * The values a preview's own env Secret is seeded with when its build of `headSha` ends
 * (issue 35, docs/architecture.md#previews): the service's env vars named by its
 * `previews.seedKeys`, as they are now, and no other key. A fork's pull request gets none
 * unless a maintainer approved that very head commit; a same-repository one only builds when
 * its author may write or after an approval. Never the bucket's variables.
 */
export async function previewSeed(db: DataSource, encryptor: Encryptor, previewId: string, headSha: string): Promise<PreviewSeed> {
  const [row] = await db.query<{ serviceId: string; fork: boolean; approvedSha: string | null; keys: string[] }[]>(
    `SELECT p.service_id AS "serviceId", p.fork, p.approved_sha AS "approvedSha", s.previews_seed_keys AS keys
       FROM previews p JOIN services s ON s.id = p.service_id WHERE p.id = $1`,
    [previewId],
  );
  if (!row || row.keys.length === 0) return { env: [], missing: [] };
  if (row.fork && row.approvedSha !== headSha) return { env: [], missing: [] };
  const vars = await db.query<{ key: string; value: string }[]>(`SELECT key, value FROM env_vars WHERE service_id = $1 AND key = ANY($2) ORDER BY key`, [
    row.serviceId,
    row.keys,
  ]);
  const present = new Set(vars.map((entry) => entry.key));
  return {
    env: vars.map((entry) => ({ key: entry.key, value: encryptor.decrypt(entry.value) })),
    missing: row.keys.filter((key) => !present.has(key)),
  };
}

/**
 * The env Secret of a preview that runs no more (closed, expired, or a fork's new push waiting
 * for approval: its objects left the tree), to delete: the seeded values do not outlive the
 * preview's pods. Null while the preview may run.
 */
export async function stalePreviewEnv(db: DataSource, previewId: string): Promise<{ namespace: string; serviceName: string; number: number } | null> {
  const [row] = await db.query<{ namespace: string; serviceName: string; number: number }[]>(
    `SELECT pr.namespace, s.name AS "serviceName", p.pr_number AS number
       FROM previews p JOIN services s ON s.id = p.service_id JOIN projects pr ON pr.id = s.project_id
      WHERE p.id = $1 AND (p.closed_at IS NOT NULL OR p.state = 'awaiting_approval')`,
    [previewId],
  );
  return row ?? null;
}
