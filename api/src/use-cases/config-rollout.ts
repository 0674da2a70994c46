/**
 * How a change of configuration or env values rolls out: the current image again as a new
 * deployment (no build) with its release recorded (use-cases/releases.ts).
 */
import type { EntityManager } from 'typeorm';
import { DeploymentEntity, type Deployment } from '../db/entities/index.js';
import { snapshotRelease } from '../db/releases.js';
import { lockServiceWithCurrentImage, setCurrentDeployment } from '../db/services-repo.js';

/**
 * A new `deploying` row of the current image, made current, with its release recorded:
 * how a change of configuration or env values rolls out (no build). `null` while nothing
 * was built yet (the change then waits for the first build). Runs in the change's transaction.
 */
export async function recordConfigRollout(manager: EntityManager, serviceId: string, summary: string): Promise<Deployment | null> {
  {
    const image = await lockServiceWithCurrentImage(manager, serviceId);
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
    await setCurrentDeployment(manager, serviceId, row.id);
    return manager.getRepository(DeploymentEntity).findOneByOrFail({ id: row.id });
  }
}

