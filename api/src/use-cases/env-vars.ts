import { checkEnvLimits } from './limits.js';
import { createEnvVarSchema, updateEnvVarSchema, type EnvVarDto } from '@dangus/common';
import { ConflictError, NotFoundError } from '../errors.js';
import { EnvVarEntity, type EnvVar } from '../db/entities/index.js';
import { toDeploymentDto } from './deployments.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { findOwnedService, serviceChange } from './services.js';
import { recordConfigRollout } from './config-rollout.js';
import { isUuid, parseInput, uniqueViolation } from './validate.js';

/** What a list shows instead of a value: values are write-only through the API. */
export const MASK = '••••••••';

function toDto(row: EnvVar): EnvVarDto {
  return {
    id: row.id,
    key: row.key,
    value: MASK,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function duplicateKey(key: string): ConflictError {
  return new ConflictError(`The variable ${key} already exists: edit it instead.`, { key: ['Already defined.'] });
}

/**
 * An env change rolls the current image out again as a new deployment row (no
 * build; docs/architecture.md#the-state-repo: the env-revision annotation moves). The env
 * Secret is written before the commit, so the new pods read the new values.
 */
async function notifyEnvChange(
  ctx: UseCaseContext,
  user: CurrentUser,
  owned: Awaited<ReturnType<typeof findOwnedService>>,
  summary: string,
): Promise<void> {
  const rollout = await recordConfigRollout(ctx, owned.service.id, summary);
  await ctx.stateSink.tenantChanged(
    serviceChange(user, owned.project, owned.service.name, {
      verb: 'env',
      summary,
      envSecretOf: owned.service.id,
      ...(rollout ? { deploymentId: rollout.id } : {}),
    }),
  );
  if (rollout) {
    ctx.events.deploymentChanged({ userId: user.id, deployment: toDeploymentDto(rollout) });
    ctx.pipeline?.kick([rollout.id]);
  }
}

export async function listEnvVars(ctx: UseCaseContext, user: CurrentUser, serviceId: string): Promise<EnvVarDto[]> {
  const { service } = await findOwnedService(ctx, user, serviceId);
  const rows = await ctx.db.getRepository(EnvVarEntity).find({ where: { serviceId: service.id }, order: { key: 'ASC' } });
  return rows.map(toDto);
}

export async function createEnvVar(ctx: UseCaseContext, user: CurrentUser, serviceId: string, input: unknown): Promise<EnvVarDto> {
  const { key, value } = parseInput(createEnvVarSchema, input);
  const owned = await findOwnedService(ctx, user, serviceId);
  let row: EnvVar;
  try {
    row = await ctx.db.transaction(async (manager) => {
      await checkEnvLimits(ctx, manager, user, owned.service.id, { key, value });
      return manager.getRepository(EnvVarEntity).save({ serviceId: owned.service.id, key, value: ctx.encryptor.encrypt(value) });
    });
  } catch (error) {
    if (uniqueViolation(error) === 'env_vars_service_id_key_key') throw duplicateKey(key);
    throw error;
  }
  await notifyEnvChange(ctx, user, owned, `set ${key}`);
  return toDto(row);
}

async function findEnvVar(ctx: UseCaseContext, serviceId: string, envId: string): Promise<EnvVar> {
  const row = isUuid(envId) ? await ctx.db.getRepository(EnvVarEntity).findOneBy({ id: envId, serviceId }) : null;
  if (!row) throw new NotFoundError('Environment variable');
  return row;
}

export async function updateEnvVar(
  ctx: UseCaseContext,
  user: CurrentUser,
  serviceId: string,
  envId: string,
  input: unknown,
): Promise<EnvVarDto> {
  const changes = parseInput(updateEnvVarSchema, input);
  const owned = await findOwnedService(ctx, user, serviceId);
  const row = await findEnvVar(ctx, owned.service.id, envId);
  const patch: Partial<EnvVar> = {};
  if (changes.key !== undefined) patch.key = changes.key;
  if (changes.value !== undefined) patch.value = ctx.encryptor.encrypt(changes.value);
  try {
    await ctx.db.transaction(async (manager) => {
      const value = changes.value ?? ctx.encryptor.decrypt(row.value);
      await checkEnvLimits(ctx, manager, user, owned.service.id, { key: changes.key ?? row.key, value, replacing: row.id });
      await manager.getRepository(EnvVarEntity).update({ id: row.id }, patch);
    });
  } catch (error) {
    if (uniqueViolation(error) === 'env_vars_service_id_key_key') throw duplicateKey(changes.key ?? row.key);
    throw error;
  }
  await notifyEnvChange(ctx, user, owned, `update ${changes.key ?? row.key}`);
  const updated = await ctx.db.getRepository(EnvVarEntity).findOneByOrFail({ id: row.id });
  return toDto(updated);
}

export async function deleteEnvVar(ctx: UseCaseContext, user: CurrentUser, serviceId: string, envId: string): Promise<void> {
  const owned = await findOwnedService(ctx, user, serviceId);
  const row = await findEnvVar(ctx, owned.service.id, envId);
  await ctx.db.getRepository(EnvVarEntity).delete({ id: row.id });
  await notifyEnvChange(ctx, user, owned, `unset ${row.key}`);
}
