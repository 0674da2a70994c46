/** SQL shared by the use cases and the pipeline about releases (use-cases/releases.ts), the one rollback among it. */
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
async function restoreRelease(
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

/** A deployment that went live, with the release it ran: what a failed rollout goes back to. */
export interface LiveRelease {
  id: string;
  commit_sha: string;
  release_config: StoredReleaseConfig | null;
  release_env: ReleaseEnvVar[] | null;
}

/** The service's newest live deployment other than `exceptId`, with an image to run again. */
export async function lastLiveRelease(manager: EntityManager, serviceId: string, exceptId: string): Promise<LiveRelease | undefined> {
  const rows: LiveRelease[] = await manager.query(
    `SELECT id, commit_sha, release_config, release_env FROM deployments
      WHERE service_id = $1 AND id <> $2 AND status = 'live' AND image_tag IS NOT NULL
      ORDER BY created_at DESC LIMIT 1`,
    [serviceId, exceptId],
  );
  return rows[0];
}

/**
 * The one rollback, a user's (use-cases/releases.ts) or the automatic one after a failed
 * rollout (pipeline/rollout.ts), in the caller's transaction: `current` becomes the service's
 * current deployment (only while `whileCurrent` still is, when given) and, with `restore`,
 * a release's configuration and env values go back on the service. The caller records one
 * change for it, with `envSecretOf` when the env values went back, so the writer writes
 * the env Secret once and renders the tenant once. False when the service had moved on.
 */
export async function rollBack(
  manager: EntityManager,
  serviceId: string,
  options: { current: string; whileCurrent?: string; restore?: { config: StoredReleaseConfig; env: readonly ReleaseEnvVar[] } | null },
): Promise<boolean> {
  // UPDATE answers [rows, count] through TypeORM.
  const [, moved]: [unknown[], number] = await manager.query(
    `UPDATE services SET current_deployment_id = $2 WHERE id = $1 AND ($3::uuid IS NULL OR current_deployment_id = $3::uuid)`,
    [serviceId, options.current, options.whileCurrent ?? null],
  );
  if (moved !== 1) return false;
  if (options.restore) await restoreRelease(manager, serviceId, options.restore.config, options.restore.env);
  return true;
}
