/**
 * Image retention (setting RELEASES_KEPT): each service keeps the images of its newest N
 * releases (deployments that went live). An older release's image is deleted from the
 * tenant's Harbor project once nothing uses it: never the current deployment's image,
 * never one a deployment in flight (pending, building, deploying) or a kept release uses
 * (a rollback shares its release's digest). The release is then marked not restorable.
 *
 * Order, per image: under the service's row lock (pushes and rollbacks take it too) the
 * rule is checked again and the rows are marked deleted, then Harbor is called; if Harbor
 * fails, the mark is taken back so a later run retries. So no rollback can start from an
 * image being deleted.
 */
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import type { TenantRegistries } from '../registry/tenant-registries.js';
import { lockService } from '../db/services-repo.js';

export interface ReleaseRetentionResult {
  /** Images deleted from the registry. */
  deleted: number;
  failed: number;
}

/** The releases of (service, digest) beyond the kept ones that nothing uses. */
const UNUSED_OLD_IMAGES = `
  WITH live AS (
    SELECT d.id, d.service_id, d.image_digest, d.image_tag,
           row_number() OVER (PARTITION BY d.service_id ORDER BY d.created_at DESC, d.id DESC) AS n
      FROM deployments d
     WHERE d.status = 'live' AND d.image_digest IS NOT NULL AND d.image_deleted_at IS NULL
  )
  SELECT DISTINCT ON (old.service_id, old.image_digest) old.service_id, old.image_digest, old.image_tag
    FROM live old
   WHERE old.n > $1
     AND ($2::uuid IS NULL OR old.service_id = $2)
     AND NOT EXISTS (SELECT 1 FROM live kept
                      WHERE kept.service_id = old.service_id AND kept.image_digest = old.image_digest AND kept.n <= $1)
     AND NOT EXISTS (SELECT 1 FROM deployments busy
                      WHERE busy.service_id = old.service_id AND busy.image_digest = old.image_digest
                        AND busy.status IN ('pending', 'building', 'deploying'))
     AND NOT EXISTS (SELECT 1 FROM services s JOIN deployments c ON c.id = s.current_deployment_id
                      WHERE s.id = old.service_id AND c.image_digest = old.image_digest)`;

export async function pruneReleaseImages(deps: {
  db: DataSource;
  registries: TenantRegistries;
  logger: Logger;
  releasesKept: number;
}): Promise<ReleaseRetentionResult> {
  const result: ReleaseRetentionResult = { deleted: 0, failed: 0 };
  // The shared registry mode has no Harbor admin account: images stay, releases stay restorable.
  if (deps.registries.status.mode !== 'per-tenant') return result;
  const candidates: { service_id: string; image_digest: string; image_tag: string }[] = await deps.db.query(UNUSED_OLD_IMAGES, [
    deps.releasesKept,
    null,
  ]);
  for (const candidate of candidates) {
    const marked = await deps.db.transaction(async (manager) => {
      await lockService(manager, candidate.service_id);
      const still: unknown[] = await manager.query(`SELECT 1 FROM (${UNUSED_OLD_IMAGES}) c WHERE c.image_digest = $3`, [
        deps.releasesKept,
        candidate.service_id,
        candidate.image_digest,
      ]);
      if (still.length === 0) return false;
      await manager.query(
        `UPDATE deployments SET image_deleted_at = now() WHERE service_id = $1 AND image_digest = $2 AND status IN ('live', 'failed')`,
        [candidate.service_id, candidate.image_digest],
      );
      return true;
    });
    if (!marked) continue;
    try {
      if (!(await deps.registries.deleteImage(candidate.image_tag))) throw new Error(`not an image of the registry: ${candidate.image_tag}`);
      result.deleted += 1;
      deps.logger.info({ serviceId: candidate.service_id, image: candidate.image_tag }, 'deleted the image of an old release');
    } catch (error) {
      result.failed += 1;
      deps.logger.warn({ serviceId: candidate.service_id, image: candidate.image_tag, err: error }, 'could not delete the image of an old release');
      await unmark(deps.db, candidate);
    }
  }
  return result;
}

async function unmark(db: DataSource, candidate: { service_id: string; image_digest: string }): Promise<void> {
  await db.query(`UPDATE deployments SET image_deleted_at = NULL WHERE service_id = $1 AND image_digest = $2`, [
    candidate.service_id,
    candidate.image_digest,
  ]);
}
