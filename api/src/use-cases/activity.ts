/**
 * A service's activity: what was done to it that is not an infrastructure change (those
 * are the state repo's commits, each with its actor), such as an env value revealed to
 * its owner. Who, what and when; the newest KEPT per service are kept.
 */
import type { ServiceActivityDto } from '@dangus/common';
import type { EntityManager } from 'typeorm';
import type { CurrentUser, UseCaseContext } from './context.js';
import { findOwnedService } from './services.js';

const KEPT = 500;
const LISTED = 50;

export async function recordActivity(
  manager: EntityManager,
  user: CurrentUser,
  serviceId: string,
  entry: { action: ServiceActivityDto['action']; subject: string },
): Promise<void> {
  await manager.query(
    `INSERT INTO service_activity (service_id, actor_id, actor_login, action, subject) VALUES ($1, $2, $3, $4, $5)`,
    [serviceId, user.id, user.githubUsername, entry.action, entry.subject],
  );
  await manager.query(
    `DELETE FROM service_activity
      WHERE service_id = $1
        AND id < (SELECT id FROM service_activity WHERE service_id = $1 ORDER BY id DESC OFFSET $2 LIMIT 1)`,
    [serviceId, KEPT - 1],
  );
}

/** The service's newest activity, newest first. */
export async function listActivity(ctx: UseCaseContext, user: CurrentUser, serviceId: string): Promise<ServiceActivityDto[]> {
  const { service } = await findOwnedService(ctx, user, serviceId, 'read');
  const rows = await ctx.db.query<{ id: string; action: ServiceActivityDto['action']; subject: string; actor_login: string; created_at: Date }[]>(
    `SELECT id::text, action, subject, actor_login, created_at FROM service_activity WHERE service_id = $1 ORDER BY id DESC LIMIT $2`,
    [service.id, LISTED],
  );
  return rows.map((r) => ({ id: r.id, action: r.action, subject: r.subject, actor: r.actor_login, createdAt: r.created_at.toISOString() }));
}
