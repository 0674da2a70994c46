/** SQL shared by the use cases and the pipeline about releases (use-cases/releases.ts). */

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

/** `SET` assignments of a services row restoring a release's configuration ($2: its release_config). */
export const RESTORE_CONFIG_SQL = `
  port = ($2::jsonb->>'port')::int,
  health_check_path = $2::jsonb->>'healthCheckPath',
  storage_gb = ($2::jsonb->>'storageGb')::int,
  replicas = coalesce(($2::jsonb->>'replicas')::int, 1),
  size = $2::jsonb->>'size',
  updated_at = now()`;
