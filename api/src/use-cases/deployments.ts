import type { DeploymentDto } from '@dangus/common';
import { NotFoundError } from '../errors.js';
import { roleAllows } from '@dangus/common';
import { DeploymentEntity } from '../db/entities/index.js';
import { toDeploymentDto } from '../db/deployment-dto.js';
import { deploymentHistory } from '../db/deployments-repo.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { findOwnedService } from './services.js';
import { isUuid } from './validate.js';

/** The service's deployment history, newest first (at most 100). */
export async function listDeployments(ctx: UseCaseContext, user: CurrentUser, serviceId: string): Promise<DeploymentDto[]> {
  const { service } = await findOwnedService(ctx, user, serviceId, 'read');
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
  if (!deployment) throw new NotFoundError('Deployment');
  // The build log is for developers and above; a viewer reads the deployment without it.
  const { role } = await findOwnedService(ctx, user, deployment.serviceId, 'read').catch((error: unknown) => {
    throw error instanceof NotFoundError ? new NotFoundError('Deployment') : error;
  });
  return toDeploymentDto(deployment, withLogs && roleAllows(role, 'logs'));
}
