import type { EntityManager } from 'typeorm';
import { LimitReachedError } from '../errors.js';
import { lockService } from '../db/services-repo.js';
import type { CurrentUser, UseCaseContext } from './context.js';

/*
 * The limits per user (settings MAX_*). Each is checked in the transaction that
 * writes, with the parent row locked, so that concurrent requests cannot pass a
 * limit together: the n-th is allowed, the n+1-th refused.
 */

/** The limit that applies to `user`, or null: 0 means none, and admins are exempt only when the operator says so. */
export function limitFor(ctx: UseCaseContext, user: CurrentUser, limit: number): number | null {
  if (limit === 0) return null;
  if (ctx.limits.exemptAdmins && user.role === 'admin') return null;
  return limit;
}

export async function checkProjectLimit(ctx: UseCaseContext, manager: EntityManager, user: CurrentUser): Promise<void> {
  const max = limitFor(ctx, user, ctx.limits.projectsPerUser);
  if (max === null) return;
  await manager.query(`SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, [user.id]);
  const [row] = await manager.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM projects WHERE user_id = $1`, [user.id]);
  if ((row?.n ?? 0) >= max) {
    throw new LimitReachedError(`You have ${String(max)} projects, the most this platform allows per user: delete one first, or ask its admin.`);
  }
}

export async function checkServiceLimit(ctx: UseCaseContext, manager: EntityManager, user: CurrentUser, projectId: string): Promise<void> {
  const max = limitFor(ctx, user, ctx.limits.servicesPerProject);
  if (max === null) return;
  await manager.query(`SELECT 1 FROM projects WHERE id = $1 FOR UPDATE`, [projectId]);
  const [row] = await manager.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM services WHERE project_id = $1`, [projectId]);
  if ((row?.n ?? 0) >= max) {
    throw new LimitReachedError(`This project has ${String(max)} services, the most this platform allows per project: delete one first, or ask its admin.`);
  }
}

/**
 * Env vars of a service after a change: their number and their total size
 * (keys and values, UTF-8), which keeps the env Secret well under Kubernetes'
 * 1 MiB. `replacing` is the id of a variable being updated.
 */
export async function checkEnvLimits(
  ctx: UseCaseContext,
  manager: EntityManager,
  user: CurrentUser,
  serviceId: string,
  change: { key: string; value: string; replacing?: string },
): Promise<void> {
  const maxCount = limitFor(ctx, user, ctx.limits.envVarsPerService);
  const maxBytes = limitFor(ctx, user, ctx.limits.envBytesPerService);
  if (maxCount === null && maxBytes === null) return;
  await lockService(manager, serviceId);
  const rows = await manager.query<{ id: string; key: string; value: string }[]>(`SELECT id, key, value FROM env_vars WHERE service_id = $1`, [serviceId]);
  const others = rows.filter((row) => row.id !== change.replacing);
  if (maxCount !== null && change.replacing === undefined && others.length >= maxCount) {
    throw new LimitReachedError(`This service has ${String(maxCount)} env vars, the most this platform allows: remove one first.`);
  }
  if (maxBytes !== null) {
    const bytes =
      others.reduce((sum, row) => sum + Buffer.byteLength(row.key) + Buffer.byteLength(ctx.encryptor.decrypt(row.value)), 0) +
      Buffer.byteLength(change.key) +
      Buffer.byteLength(change.value);
    if (bytes > maxBytes) {
      throw new LimitReachedError(
        `The env vars of this service would take ${String(bytes)} bytes, more than the ${String(maxBytes)} this platform allows per service: shorten or remove some.`,
      );
    }
  }
}

/**
 * The env vars a service will have after an import (`final`: every variable, keys and
 * plain values), against the same limits; the service's row is locked by the caller.
 */
export function checkEnvSetLimits(ctx: UseCaseContext, user: CurrentUser, final: { key: string; value: string }[]): void {
  const maxCount = limitFor(ctx, user, ctx.limits.envVarsPerService);
  const maxBytes = limitFor(ctx, user, ctx.limits.envBytesPerService);
  if (maxCount !== null && final.length > maxCount) {
    throw new LimitReachedError(
      `This would give the service ${String(final.length)} env vars, more than the ${String(maxCount)} this platform allows: import fewer.`,
    );
  }
  const bytes = final.reduce((sum, v) => sum + Buffer.byteLength(v.key) + Buffer.byteLength(v.value), 0);
  if (maxBytes !== null && bytes > maxBytes) {
    throw new LimitReachedError(
      `The env vars of this service would take ${String(bytes)} bytes, more than the ${String(maxBytes)} this platform allows per service: shorten or remove some.`,
    );
  }
}
