import type { EntityManager } from 'typeorm';
import { supersedeUnfinished, supersededReason } from '../db/deployments-repo.js';
import { DeploymentEntity, type Deployment } from '../db/entities/index.js';
import { lockService } from '../db/services-repo.js';
import type { UseCaseContext } from './context.js';

export interface BuildRequest {
  serviceId: string;
  commitSha: string;
  commitMessage: string | null;
  trigger: 'push' | 'manual';
}

export interface RecordedBuild {
  deployment: Deployment;
  /** Ids of the older builds of the service this one ended ("superseded by …"). */
  superseded: string[];
}

/** Commit messages are kept whole up to this many characters. */
const MESSAGE_MAX = 10_000;

/**
 * Records a `pending` build of `commitSha` inside the caller's transaction, and
 * ends every older build of the service still pending or building: a newer push
 * supersedes them (docs/architecture.md#builds). The service row is locked first, so
 * concurrent pushes to one service queue here and each sees the one before.
 *
 * The pipeline does the rest from the row (call {@link buildRecorded} once the
 * transaction committed): nothing waits on this request.
 */
export async function recordBuild(manager: EntityManager, request: BuildRequest): Promise<RecordedBuild> {
  await lockService(manager, request.serviceId);
  const superseded = await supersedeUnfinished(manager, request.serviceId, supersededReason(request.commitSha.slice(0, 7)), { sparing: 'config' });
  const deployment = await manager.getRepository(DeploymentEntity).save({
    serviceId: request.serviceId,
    commitSha: request.commitSha,
    commitMessage: request.commitMessage?.slice(0, MESSAGE_MAX) ?? null,
    trigger: request.trigger,
    status: 'pending',
  });
  return { deployment, superseded };
}

/** After the transaction of {@link recordBuild} committed: hands the rows to the pipeline. */
export function buildRecorded(ctx: UseCaseContext, recorded: RecordedBuild): void {
  ctx.pipeline?.kick([recorded.deployment.id, ...recorded.superseded]);
}
