/** SQL shared by the use cases and the pipeline about releases (use-cases/releases.ts). */
import type { EntityManager } from 'typeorm';
import type { ReleaseConfig, ReleaseEnvVar } from './entities/index.js';

/**
 * `SET` assignments of a deployment row (aliased `d`) recording its release: the service's
 * configuration and env values as they are now, in the statement's transaction.
 */
export const RELEASE_SNAPSHOT_SQL = `
  release_config = (SELECT jsonb_build_object('port', rs.port, 'healthCheckPath', rs.health_check_path, 'storageGb', rs.storage_gb,
                                        'replicas', rs.replicas, 'size', rs.size)
                      FROM services rs WHERE rs.id = d.service_id),
  release_env = (SELECT coalesce(jsonb_agg(jsonb_build_object('key', re.key, 'value', re.value) ORDER BY re.key), '[]'::jsonb)
                   FROM env_vars re WHERE re.service_id = d.service_id)`;

/**
 * Puts a release's configuration and env values (still encrypted) back on its service, in
 * the caller's transaction: what a rollback and a failed config change both do.
 */
export async function restoreRelease(
  manager: EntityManager,
  serviceId: string,
  config: ReleaseConfig,
  env: readonly ReleaseEnvVar[],
): Promise<void> {
  await manager.query(
    `UPDATE services SET
       port = ($2::jsonb->>'port')::int,
       health_check_path = $2::jsonb->>'healthCheckPath',
       storage_gb = ($2::jsonb->>'storageGb')::int,
       replicas = coalesce(($2::jsonb->>'replicas')::int, 1),
       size = $2::jsonb->>'size',
       updated_at = now()
     WHERE id = $1`,
    [serviceId, JSON.stringify(config)],
  );
  await manager.query(`DELETE FROM env_vars WHERE service_id = $1`, [serviceId]);
  if (env.length > 0) {
    await manager.query(
      `INSERT INTO env_vars (service_id, key, value) SELECT $1, e.key, e.value FROM jsonb_to_recordset($2::jsonb) AS e(key text, value text)`,
      [serviceId, JSON.stringify(env)],
    );
  }
}
