import type { EntityManager } from 'typeorm';
import type { UseCaseContext } from './context.js';

/**
 * Buckets let go of (README "Object storage"): keyless, kept for the grace period. Apart
 * from object-storage.ts so that deleting a service or a project can use it without a cycle.
 */
export async function keep(manager: EntityManager, where: string, params: unknown[], graceDays: number): Promise<Array<{ bucket: string; access_key_id: string }>> {
  // The rows locked first, as a rotation locks them: the keys returned are the ones recorded
  // once a rotation under way committed, not the ones it replaced.
  await manager.query(`SELECT id FROM service_buckets WHERE access_key_id IS NOT NULL AND ${where} ORDER BY id FOR UPDATE`, params);
  const rows: [Array<{ bucket: string; access_key_id: string }>, number] = await manager.query(
    `UPDATE service_buckets b SET access_key_id = NULL, secret_access_key = NULL, delete_after = now() + make_interval(days => $${String(params.length + 1)})
      FROM service_buckets old WHERE old.id = b.id AND b.access_key_id IS NOT NULL AND b.${where}
      RETURNING b.bucket, old.access_key_id`,
    [...params, graceDays],
  );
  return rows[0];
}

/**
 * In the transaction that deletes a service or a project: its active buckets are kept for
 * the grace period, keyless. Returns the keys to revoke once that transaction committed.
 */
export async function keepBucketsOf(ctx: UseCaseContext, manager: EntityManager, of: { serviceId: string } | { projectId: string }): Promise<Array<{ bucket: string; access_key_id: string }>> {
  if (!ctx.objectStorage) return [];
  return 'serviceId' in of
    ? keep(manager, 'service_id = $1', [of.serviceId], ctx.objectStorage.settings.graceDays)
    : keep(manager, 'project_id = $1', [of.projectId], ctx.objectStorage.settings.graceDays);
}

/** Revokes the keys {@link keepBucketsOf} returned; a key the backend cannot revoke now goes with its bucket. */
export async function revokeKeys(ctx: UseCaseContext, keys: Array<{ bucket: string; access_key_id: string }>): Promise<void> {
  const driver = ctx.objectStorage?.driver;
  if (!driver) return;
  for (const key of keys) {
    await driver.revokeKey(key.bucket, key.access_key_id).catch((error: unknown) => {
      ctx.logger.warn({ bucket: key.bucket, err: error }, 'could not revoke the key of a kept bucket (it goes with the bucket)');
    });
  }
}

