import type { DeploymentDto } from '@dangus/common';
import { NotFoundError } from '../errors.js';
import { DeploymentEntity, ServiceEntity } from '../db/entities/index.js';
import { toDeploymentDto } from '../db/deployment-dto.js';
import { deploymentHistory } from '../db/deployments-repo.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { findOwnedService } from './services.js';
import { isUuid } from './validate.js';

/** The service's deployment history, newest first (at most 100). */
export async function listDeployments(ctx: UseCaseContext, user: CurrentUser, serviceId: string): Promise<DeploymentDto[]> {
  const { service } = await findOwnedService(ctx, user, serviceId);
  const rows = await deploymentHistory(ctx.db.manager, service.id, 100);
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
