/**
 * How a change of configuration or env values rolls out: the current image again as a new
 * deployment (no build) with its release recorded (use-cases/releases.ts).
 */
import type { EntityManager } from 'typeorm';
import { DeploymentEntity, type Deployment } from '../db/entities/index.js';
import { RELEASE_SNAPSHOT_SQL } from '../db/releases.js';

/**
 * A new `deploying` row of the current image, made current, with its release recorded:
 * how a change of configuration or env values rolls out (no build). `null` while nothing
 * was built yet (the change then waits for the first build). Runs in the change's transaction.
 */
export async function recordConfigRollout(manager: EntityManager, serviceId: string, summary: string): Promise<Deployment | null> {
  {
    const current: { commit_sha: string; image_tag: string; image_digest: string | null }[] = await manager.query(
      `SELECT d.commit_sha, d.image_tag, d.image_digest
         FROM services s JOIN deployments d ON d.id = s.current_deployment_id
        WHERE s.id = $1 AND d.image_tag IS NOT NULL
        FOR UPDATE OF s`,
      [serviceId],
    );
    const image = current[0];
    if (!image) return null;
    const row = await manager.getRepository(DeploymentEntity).save({
      serviceId,
      commitSha: image.commit_sha,
      commitMessage: `Configuration change: ${summary}`,
      trigger: 'config',
      status: 'deploying',
      imageTag: image.image_tag,
      imageDigest: image.image_digest,
    });
    await snapshotRelease(manager, row.id);
    await manager.query(`UPDATE services SET current_deployment_id = $2 WHERE id = $1`, [serviceId, row.id]);
    return manager.getRepository(DeploymentEntity).findOneByOrFail({ id: row.id });
  }
}

export async function snapshotRelease(manager: EntityManager, deploymentId: string): Promise<void> {
  await manager.query(`UPDATE deployments d SET ${RELEASE_SNAPSHOT_SQL} WHERE d.id = $1`, [deploymentId]);
}

