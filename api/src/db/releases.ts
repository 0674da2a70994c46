/** SQL shared by the use cases and the pipeline about releases (use-cases/releases.ts). */
import { SERVICE_RUNTIME_FIELDS, releaseConfigSchema, type ReleaseConfig, type StoredReleaseConfig } from '@dangus/common';
import type { EntityManager } from 'typeorm';
import { ServiceEntity, serviceColumn, type ReleaseEnvVar } from './entities/index.js';

/**
 * `SET` assignments of a deployment row (aliased `d`) recording its release: the service's
 * runtime configuration (every field of `serviceRuntimeSchema`) and env values as they are
 * now, in the statement's transaction. Column names come from the entity, never from input.
 */
export const RELEASE_SNAPSHOT_SQL = `
  release_config = (SELECT jsonb_build_object(${SERVICE_RUNTIME_FIELDS.map((field) => `'${field}', rs.${serviceColumn(field)}`).join(', ')})
                      FROM services rs WHERE rs.id = d.service_id),
  release_env = (SELECT coalesce(jsonb_agg(jsonb_build_object('key', re.key, 'value', re.value) ORDER BY re.key), '[]'::jsonb)
                   FROM env_vars re WHERE re.service_id = d.service_id)`;

/** A stored release's configuration, a field it predates filled in with a new service's default. */
export function readReleaseConfig(stored: StoredReleaseConfig): ReleaseConfig {
  return releaseConfigSchema.parse(stored);
}

/**
 * Puts a release's configuration and env values (still encrypted) back on its service, in
 * the caller's transaction: what a rollback and a failed config change both do.
 */
export async function restoreRelease(
  manager: EntityManager,
  serviceId: string,
  config: StoredReleaseConfig,
  env: readonly ReleaseEnvVar[],
): Promise<void> {
  // Sets updated_at too (the entity's update date).
  await manager.getRepository(ServiceEntity).update({ id: serviceId }, readReleaseConfig(config));
  await manager.query(`DELETE FROM env_vars WHERE service_id = $1`, [serviceId]);
  if (env.length > 0) {
    await manager.query(
      `INSERT INTO env_vars (service_id, key, value) SELECT $1, e.key, e.value FROM jsonb_to_recordset($2::jsonb) AS e(key text, value text)`,
      [serviceId, JSON.stringify(env)],
    );
  }
}
