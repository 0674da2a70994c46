import type { DeploymentDto } from '@dangus/common';
import { NotFoundError } from '../errors.js';
import { DeploymentEntity, ServiceEntity, type Deployment } from '../db/entities/index.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { findOwnedService } from './services.js';
import { isUuid } from './validate.js';

/** Why this release cannot be restored (rolled back to), or null when it can. */
export function notRestorable(d: Pick<Deployment, 'status' | 'imageTag' | 'releaseConfig' | 'imageDeletedAt'>): string | null {
  if (d.status !== 'live' || d.imageTag === null) return 'This deployment never went live: only a release that ran can be restored.';
  if (d.imageDeletedAt) return 'The image of this release was deleted from the registry (older than the releases kept).';
  if (!d.releaseConfig) return 'This release went live before releases recorded their configuration: it cannot be restored whole.';
  return null;
}

export function toDeploymentDto(d: Deployment, withLogs = false): DeploymentDto {
  return {
    id: d.id,
    serviceId: d.serviceId,
    commitSha: d.commitSha,
    commitMessage: d.commitMessage,
    trigger: d.trigger,
    status: d.status,
    reason: d.reason,
    imageTag: d.imageTag,
    imageDigest: d.imageDigest,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    finishedAt: d.finishedAt?.toISOString() ?? null,
    rollbackOf: d.rollbackOf ?? null,
    restorable: notRestorable(d) === null,
    imageDeleted: Boolean(d.imageDeletedAt),
    ...(withLogs ? { buildLogs: d.buildLogs ?? '' } : {}),
  };
}

/** The service's deployment history, newest first (at most 100). */
export async function listDeployments(ctx: UseCaseContext, user: CurrentUser, serviceId: string): Promise<DeploymentDto[]> {
  const { service } = await findOwnedService(ctx, user, serviceId);
  const rows = await ctx.db.getRepository(DeploymentEntity).find({
    where: { serviceId: service.id },
    order: { createdAt: 'DESC' },
    take: 100,
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
  return rows.map((row) => toDeploymentDto(row));
}

export async function getDeployment(
  ctx: UseCaseContext,
  user: CurrentUser,
  deploymentId: string,
  withLogs = true,
): Promise<DeploymentDto> {
  const deployment = isUuid(deploymentId)
    ? await ctx.db.getRepository(DeploymentEntity).findOneBy({ id: deploymentId })
    : null;
  const owned =
    deployment && (await ctx.db.getRepository(ServiceEntity).existsBy({ id: deployment.serviceId, userId: user.id }));
  if (!deployment || !owned) throw new NotFoundError('Deployment');
  return toDeploymentDto(deployment, withLogs);
}
