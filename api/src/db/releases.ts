/** SQL shared by the use cases and the pipeline about releases (use-cases/releases.ts). */

/**
 * `SET` assignments of a deployment row (aliased `d`) recording its release: the service's
 * configuration and env values as they are now, in the statement's transaction.
 */
export const RELEASE_SNAPSHOT_SQL = `
  release_config = (SELECT jsonb_build_object('port', rs.port, 'healthCheckPath', rs.health_check_path, 'storageGb', rs.storage_gb)
                      FROM services rs WHERE rs.id = d.service_id),
  release_env = (SELECT coalesce(jsonb_agg(jsonb_build_object('key', re.key, 'value', re.value) ORDER BY re.key), '[]'::jsonb)
                   FROM env_vars re WHERE re.service_id = d.service_id)`;
