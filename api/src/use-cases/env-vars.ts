import { checkEnvLimits } from './limits.js';
import { createEnvVarSchema, updateEnvVarSchema, type EnvValueDto, type EnvVarDto } from '@dangus/common';
import { recordActivity } from './activity.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { EnvVarEntity, type Deployment, type EnvVar } from '../db/entities/index.js';
import { toDeploymentDto } from '../db/deployment-dto.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { findOwnedService, serviceChange } from './services.js';
import { authorizeProject } from './policy.js';
import { recordConfigRollout } from './config-rollout.js';
import { changeState } from '../state-repo/state-sink.js';
import type { EntityManager } from 'typeorm';
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

export function duplicateKey(key: string): ConflictError {
  return new ConflictError(`The variable ${key} already exists: edit it instead.`, { key: ['Already defined.'] });
}

export type Owned = Awaited<ReturnType<typeof findOwnedService>>;

/**
 * An env change, in the transaction that writes the variable: it rolls the current
 * image out again as a new deployment row (no build; docs/architecture.md#the-state-repo:
 * the env-revision annotation moves), and its intent asks for the env Secret to be
 * written before the commit, so the new pods read the new values. Then, once
 * committed, {@link envChanged} announces the rollout and hands it to the pipeline.
 */
export async function envChange<T>(
  ctx: UseCaseContext,
  user: CurrentUser,
  owned: Owned,
  summary: string | ((written: T) => string),
  write: (manager: EntityManager) => Promise<T>,
): Promise<{ value: T; rollout: Deployment | null }> {
  const done = await changeState(ctx, async (manager) => {
    await authorizeProject(manager, user, owned.project, 'configure', 'Service', { lock: true });
    const written = await write(manager);
    const said = typeof summary === 'string' ? summary : summary(written);
    const row = await recordConfigRollout(manager, owned.service.id, said);
    return {
      value: { value: written, rollout: row },
      change: serviceChange(user, owned.project, owned.service.name, {
        verb: 'env',
        summary: said,
        envSecretOf: owned.service.id,
        ...(row ? { deploymentId: row.id } : {}),
      }),
    };
  });
  envChanged(ctx, owned.service.userId, done.rollout);
  return done;
}

function envChanged(ctx: UseCaseContext, ownerId: string, rollout: Deployment | null): void {
  if (!rollout) return;
  ctx.events.deploymentChanged({ userId: ownerId, deployment: toDeploymentDto(rollout) });
  ctx.pipeline?.kick([rollout.id]);
}

export async function listEnvVars(ctx: UseCaseContext, user: CurrentUser, serviceId: string): Promise<EnvVarDto[]> {
  const { service } = await findOwnedService(ctx, user, serviceId, 'read');
  const rows = await ctx.db.getRepository(EnvVarEntity).find({ where: { serviceId: service.id }, order: { key: 'ASC' } });
  return rows.map(toDto);
}

export async function createEnvVar(ctx: UseCaseContext, user: CurrentUser, serviceId: string, input: unknown): Promise<EnvVarDto> {
  const { key, value } = parseInput(createEnvVarSchema, input);
  const owned = await findOwnedService(ctx, user, serviceId);
  let row: EnvVar;
  try {
    ({ value: row } = await envChange(ctx, user, owned, `set ${key}`, async (manager) => {
      await checkEnvLimits(ctx, manager, user, owned.service.id, { key, value });
      return manager.getRepository(EnvVarEntity).save({ serviceId: owned.service.id, key, value: ctx.encryptor.encrypt(value) });
    }));
  } catch (error) {
    if (uniqueViolation(error) === 'env_vars_service_id_key_key') throw duplicateKey(key);
    throw error;
  }
  return toDto(row);
}

export async function findEnvVar(ctx: UseCaseContext, serviceId: string, envId: string): Promise<EnvVar> {
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
    await envChange(ctx, user, owned, `update ${changes.key ?? row.key}`, async (manager) => {
      const value = changes.value ?? ctx.encryptor.decrypt(row.value);
      await checkEnvLimits(ctx, manager, user, owned.service.id, { key: changes.key ?? row.key, value, replacing: row.id });
      await manager.getRepository(EnvVarEntity).update({ id: row.id }, patch);
    });
  } catch (error) {
    if (uniqueViolation(error) === 'env_vars_service_id_key_key') throw duplicateKey(changes.key ?? row.key);
    throw error;
  }
  const updated = await ctx.db.getRepository(EnvVarEntity).findOneByOrFail({ id: row.id });
  return toDto(updated);
}

export async function deleteEnvVar(ctx: UseCaseContext, user: CurrentUser, serviceId: string, envId: string): Promise<void> {
  const owned = await findOwnedService(ctx, user, serviceId);
  const row = await findEnvVar(ctx, owned.service.id, envId);
  await envChange(ctx, user, owned, `unset ${row.key}`, (manager) => manager.getRepository(EnvVarEntity).delete({ id: row.id }));
}

/**
 * One variable's value, for its owner only (another user's service or variable is a 404):
 * recorded in the service's activity first, so no value is shown without its record.
 */
export async function revealEnvValue(ctx: UseCaseContext, user: CurrentUser, serviceId: string, envId: string): Promise<EnvValueDto> {
  const { service } = await findOwnedService(ctx, user, serviceId, 'reveal');
  const row = await findEnvVar(ctx, service.id, envId);
  const value = ctx.encryptor.decrypt(row.value);
  await ctx.db.transaction((manager) => recordActivity(manager, user, service.id, { action: 'env.reveal', subject: row.key }));
  return { id: row.id, key: row.key, value };
}
