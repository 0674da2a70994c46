/** SQL about the `deployments` table that use cases and the pipeline share. */
import type { EntityManager } from 'typeorm';
import { DeploymentEntity, type Deployment } from './entities/index.js';

/** Every reason a superseded deployment ends with starts so (see {@link supersededReason}). */
const SUPERSEDED = 'superseded';

/** "superseded by <what>": the reason of a deployment a newer one ended. */
export function supersededReason(by: string): string {
  return `${SUPERSEDED} by ${by}`;
}

/** Whether a failed deployment ended because a newer one superseded it. */
export function wasSuperseded(reason: string | null | undefined): boolean {
  return reason?.startsWith(SUPERSEDED) ?? false;
}

/**
 * Ends, `failed` with `reason`, every build of the service still `pending` or `building`:
 * a newer deployment supersedes them. `sparing: 'config'` leaves configuration rollouts
 * alone (a push does). Runs in the caller's transaction, the service row locked first
 * (services-repo.ts `lockService`); returns the ids of the rows it ended.
 */
export async function supersedeUnfinished(
  manager: EntityManager,
  serviceId: string,
  reason: string,
  options: { sparing?: 'config' } = {},
): Promise<string[]> {
  const sparing = options.sparing === 'config' ? `AND trigger <> 'config'` : '';
  const ended: { id: string }[] = await manager.query(
    `UPDATE deployments
        SET status = 'failed', reason = $2, finished_at = now(), updated_at = now()
      WHERE service_id = $1 ${sparing} AND status IN ('pending', 'building')
      RETURNING id`,
    [serviceId, reason],
  );
  return ended.map((row) => row.id);
}

/** The commits of the service's builds still `pending` or `building`. */
export async function unfinishedBuildShas(manager: EntityManager, serviceId: string): Promise<string[]> {
  const rows: { commit_sha: string }[] = await manager.query(
    `SELECT commit_sha FROM deployments WHERE service_id = $1 AND status IN ('pending', 'building')`,
    [serviceId],
  );
  return rows.map((row) => row.commit_sha);
}

/** The service's deployments, newest first (at most `limit`), without their build logs. */
export async function deploymentHistory(manager: EntityManager, serviceId: string, limit: number): Promise<Deployment[]> {
  return manager.getRepository(DeploymentEntity).find({
    where: { serviceId },
    order: { createdAt: 'DESC' },
    take: limit,
    // Everything but the log, which can be megabytes per row.
    select: {
      id: true,
      serviceId: true,
      commitSha: true,
      commitMessage: true,
      trigger: true,
      status: true,
      reason: true,
      imageTag: true,
      imageDigest: true,
      createdAt: true,
      updatedAt: true,
      finishedAt: true,
      releaseConfig: true,
      rollbackOf: true,
      imageDeletedAt: true,
    },
  });
}
