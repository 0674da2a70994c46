/**
 * Releases and rollback. Every deployment that rolls out records the configuration it
 * runs with (`serviceRuntimeSchema`: port, health check, storage, replicas, size) and its env values (each still encrypted, as in
 * env_vars; never in git): a release. A rollback restores a release that went live whole,
 * image and configuration and env values, as a deployment of its own (`trigger:
 * 'rollback'`, no build) with one commit `rollback(ns/service): to <sha7> (deployment <id>)`,
 * before which the writer writes the env Secret (once: the pipeline only watches the rollout).
 */
import { SERVICE_RUNTIME_FIELDS, pickFields, type DeploymentDto, type RollbackPreviewDto } from '@dangus/common';
import { ConflictError, NotFoundError } from '../errors.js';
import { DeploymentEntity, type ReleaseEnvVar } from '../db/entities/index.js';
import { notRestorable, toDeploymentDto } from '../db/deployment-dto.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { findOwnedService, serviceChange } from './services.js';
import { authorizeProject, type ProjectAction } from './policy.js';
import { isUuid } from './validate.js';
import { changeState } from '../state-repo/state-sink.js';
import { readReleaseConfig, rollBack, snapshotRelease } from '../db/releases.js';
import { supersedeUnfinished, supersededReason } from '../db/deployments-repo.js';
import { lockService } from '../db/services-repo.js';
import { checkQuota } from './capacity.js';

/** A deployment of one of the user's services, or 404. */
async function ownedDeployment(ctx: UseCaseContext, user: CurrentUser, deploymentId: string, action: ProjectAction) {
  const deployment = isUuid(deploymentId) ? await ctx.db.getRepository(DeploymentEntity).findOneBy({ id: deploymentId }) : null;
  if (!deployment) throw new NotFoundError('Deployment');
  try {
    return { deployment, ...(await findOwnedService(ctx, user, deployment.serviceId, action)) };
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError('Deployment');
    throw error;
  }
}

/** What a rollback to `deploymentId` would change, against what runs now. */
export async function previewRollback(ctx: UseCaseContext, user: CurrentUser, deploymentId: string): Promise<RollbackPreviewDto> {
  const { deployment, service } = await ownedDeployment(ctx, user, deploymentId, 'read');
  const current = service.currentDeploymentId
    ? await ctx.db.getRepository(DeploymentEntity).findOneBy({ id: service.currentDeploymentId })
    : null;
  const nowConfig = pickFields(service, SERVICE_RUNTIME_FIELDS);
  const env: { key: string; value: string }[] = await ctx.db.query(`SELECT key, value FROM env_vars WHERE service_id = $1`, [service.id]);
  const target = deployment.releaseConfig ? readReleaseConfig(deployment.releaseConfig) : null;
  const decrypt = (vars: ReleaseEnvVar[]) => new Map(vars.map((v) => [v.key, ctx.encryptor.decrypt(v.value)]));
  const before = decrypt(env);
  const after = decrypt(deployment.releaseEnv ?? []);
  return {
    deploymentId: deployment.id,
    restorable: notRestorable(deployment) === null,
    reason: notRestorable(deployment),
    image: { from: current?.imageTag ?? null, to: deployment.imageTag },
    commit: { from: current?.commitSha ?? null, to: deployment.commitSha },
    config: target
      ? SERVICE_RUNTIME_FIELDS.filter((field) => nowConfig[field] !== target[field]).map((field) => ({ field, from: nowConfig[field], to: target[field] }))
      : [],
    env: {
      added: [...after.keys()].filter((key) => !before.has(key)).sort(),
      removed: [...before.keys()].filter((key) => !after.has(key)).sort(),
      changed: [...after.keys()].filter((key) => before.has(key) && before.get(key) !== after.get(key)).sort(),
    },
  };
}

/**
 * Rolls the service back to a release that went live: its configuration and env values
 * are restored in the database and a `rollback` deployment of its image (by digest, no
 * build) becomes current, superseding any build in progress. 404 for another user's
 * deployment; 409 when it never went live, its image or configuration is gone, or the
 * project's quota cannot hold its replicas and size.
 */
export async function rollbackDeployment(ctx: UseCaseContext, user: CurrentUser, deploymentId: string): Promise<DeploymentDto> {
  const { deployment: target, service, project } = await ownedDeployment(ctx, user, deploymentId, 'configure');
  const refused = notRestorable(target);
  if (refused) throw new ConflictError(refused);
  // notRestorable() refused a release without its configuration.
  const config = readReleaseConfig(target.releaseConfig as NonNullable<typeof target.releaseConfig>);
  const sha7 = target.commitSha.slice(0, 7);
  const { row, superseded } = await changeState(ctx, async (manager) => {
    await authorizeProject(manager, user, project, 'configure', 'Deployment', { lock: true });
    await lockService(manager, service.id);
    await checkQuota(manager, ctx.capacity, project.id, { serviceId: service.id, replicas: config.replicas, size: config.size });
    // Like a push: builds in progress end, superseded.
    const ended = await supersedeUnfinished(manager, service.id, supersededReason(`a rollback to ${sha7}`));
    const saved = await manager.getRepository(DeploymentEntity).save({
      serviceId: service.id,
      commitSha: target.commitSha,
      commitMessage: `Rollback to ${sha7} (deployment ${target.id})`,
      trigger: 'rollback',
      status: 'deploying',
      imageTag: target.imageTag,
      imageDigest: target.imageDigest,
      rollbackOf: target.id,
    });
    // The routine the automatic rollback runs too: the release's rows back, the new row current.
    await rollBack(manager, service.id, { current: saved.id, restore: { config, env: target.releaseEnv ?? [] } });
    await snapshotRelease(manager, saved.id);
    return {
      value: { row: await manager.getRepository(DeploymentEntity).findOneByOrFail({ id: saved.id }), superseded: ended },
      change: serviceChange(user, project, service.name, {
        verb: 'rollback',
        envSecretOf: service.id,
        summary: `to ${sha7} (deployment ${target.id})`,
        deploymentId: saved.id,
        sourceCommit: target.commitSha,
      }),
    };
  });
  ctx.events.deploymentChanged({ userId: service.userId, deployment: toDeploymentDto(row) });
  ctx.pipeline?.kick([row.id, ...superseded]);
  return toDeploymentDto(row);
}

