/** SQL about the `services` table that use cases and the pipeline share. */
import type { DeploymentStatus } from '@dangus/common';
import type { EntityManager } from 'typeorm';

/**
 * Locks the service's row until the caller's transaction ends: changes to one service
 * (pushes, rollbacks, env values, image retention) queue here and each sees the one before.
 */
export async function lockService(manager: EntityManager, serviceId: string): Promise<void> {
  await manager.query(`SELECT 1 FROM services WHERE id = $1 FOR UPDATE`, [serviceId]);
}

/** The image the service runs now (its current deployment's), when it runs one. */
export interface CurrentImage {
  commit_sha: string;
  image_tag: string;
  image_digest: string | null;
}

/**
 * The service's current image, its row locked until the caller's transaction ends (like
 * {@link lockService}, but only when it runs an image: `null`, nothing locked, otherwise).
 */
export async function lockServiceWithCurrentImage(manager: EntityManager, serviceId: string): Promise<CurrentImage | null> {
  const current: CurrentImage[] = await manager.query(
    `SELECT d.commit_sha, d.image_tag, d.image_digest
       FROM services s JOIN deployments d ON d.id = s.current_deployment_id
      WHERE s.id = $1 AND d.image_tag IS NOT NULL
      FOR UPDATE OF s`,
    [serviceId],
  );
  return current[0] ?? null;
}

/** Makes `deploymentId` the service's current deployment. */
export async function setCurrentDeployment(manager: EntityManager, serviceId: string, deploymentId: string): Promise<void> {
  await manager.query(`UPDATE services SET current_deployment_id = $2 WHERE id = $1`, [serviceId, deploymentId]);
}

/**
 * Asks the service's pods to restart (`restarted_at`), only while it runs an image: false,
 * nothing changed, when it runs none.
 */
export async function markRestarted(manager: EntityManager, serviceId: string, at: Date): Promise<boolean> {
  const [, updated]: [unknown, number] = await manager.query(
    `UPDATE services s SET restarted_at = $2
      WHERE s.id = $1 AND EXISTS (SELECT 1 FROM deployments d WHERE d.id = s.current_deployment_id AND d.image_tag IS NOT NULL)`,
    [serviceId, at],
  );
  return updated === 1;
}

/**
 * A service's status, as SQL over its newest deployment `d` and its current one
 * `c`: the newest one's status, except that a failed build or rollout of a
 * service still serving its last good version leaves it `live` (the failure
 * shows in its deployment list).
 */
const SERVICE_STATUS_SQL = `CASE WHEN d.status = 'failed' AND c.status = 'live' THEN 'live' ELSE d.status END`;

/** The service's own status (see {@link SERVICE_STATUS_SQL}); null before its first deployment. */
export async function serviceStatus(manager: EntityManager, serviceId: string): Promise<DeploymentStatus | null> {
  const rows: { status: DeploymentStatus | null }[] = await manager.query(
    `SELECT ${SERVICE_STATUS_SQL} AS status
       FROM services s
       JOIN LATERAL (SELECT status FROM deployments WHERE service_id = s.id ORDER BY created_at DESC LIMIT 1) d ON true
       LEFT JOIN deployments c ON c.id = s.current_deployment_id
      WHERE s.id = $1`,
    [serviceId],
  );
  return rows[0]?.status ?? null;
}

/** A service of a project as its project page lists it, with its newest deployment. */
export interface ServiceSummaryRow {
  id: string;
  name: string;
  /** The stored host label (services.host). */
  host: string;
  port: number;
  deployment_id: string | null;
  commit_sha: string | null;
  status: DeploymentStatus | null;
  /** The service's own status (see {@link serviceStatus}). */
  service_status: DeploymentStatus | null;
  deployment_created_at: Date | null;
}

/** The project's services by name, each with its newest deployment and its own status. */
export async function serviceSummaries(manager: EntityManager, projectId: string): Promise<ServiceSummaryRow[]> {
  return manager.query(
    `SELECT s.id, s.name, s.host, s.port, d.id AS deployment_id, d.commit_sha, d.status, d.created_at AS deployment_created_at,
            ${SERVICE_STATUS_SQL} AS service_status
       FROM services s
       LEFT JOIN LATERAL (
         SELECT id, commit_sha, status, created_at FROM deployments
          WHERE service_id = s.id ORDER BY created_at DESC LIMIT 1
       ) d ON true
       LEFT JOIN deployments c ON c.id = s.current_deployment_id
      WHERE s.project_id = $1
      ORDER BY s.name`,
    [projectId],
  );
}
