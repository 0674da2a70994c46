/**
 * The limits of teams (issue 36's review), beside the per-user ones of limits.ts:
 * - `MAX_TEAMS_PER_USER`: teams a person may create (those they created that still exist);
 *   platform admins are exempt, as they run the platform;
 * - `MAX_PROJECTS_PER_TEAM`: a team's projects, whoever of its members made them (in place
 *   of `MAX_PROJECTS_PER_USER`, which is a person's);
 * - `MAX_SERVICES_PER_TEAM`: services across all of a team's projects (each project is also
 *   held to `MAX_SERVICES_PER_PROJECT`).
 * Each is checked in the transaction that writes, with the parent row locked
 * (`FOR UPDATE`), so two requests at once cannot pass a limit together. 0 is no limit.
 */
import type { EntityManager } from 'typeorm';
import { LimitReachedError } from '../errors.js';
import type { CurrentUser, UseCaseContext } from './context.js';

const count = async (manager: EntityManager, sql: string, id: string): Promise<number> =>
  (await manager.query<{ n: number }[]>(sql, [id]))[0]?.n ?? 0;

/** Before a person creates a team: their row locked, the teams they created counted. */
export async function checkTeamLimit(ctx: UseCaseContext, manager: EntityManager, user: CurrentUser): Promise<void> {
  const max = ctx.limits.teamsPerUser;
  if (max === 0 || user.role === 'admin') return;
  await manager.query(`SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, [user.id]);
  if ((await count(manager, `SELECT count(*)::int AS n FROM teams WHERE created_by = $1`, user.id)) >= max) {
    throw new LimitReachedError(`You have created ${String(max)} teams, the most this platform allows per person: ask its admin for more.`);
  }
}

/** Before a project is created in a team's space: the team's account row locked, its projects counted. */
export async function checkTeamProjectLimit(ctx: UseCaseContext, manager: EntityManager, team: { id: string; slug: string }): Promise<void> {
  const max = ctx.limits.projectsPerTeam;
  if (max === 0) return;
  await manager.query(`SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, [team.id]);
  if ((await count(manager, `SELECT count(*)::int AS n FROM projects WHERE user_id = $1`, team.id)) >= max) {
    throw new LimitReachedError(`Team ${team.slug} has ${String(max)} projects, the most this platform allows per team: delete one first, or ask its admin.`);
  }
}

/** Before a service is created in a project of `owner`: nothing for a person; a team's services counted under its account's lock. */
export async function checkTeamServiceLimit(ctx: UseCaseContext, manager: EntityManager, owner: { id: string; kind: 'person' | 'team'; githubUsername: string }): Promise<void> {
  const max = ctx.limits.servicesPerTeam;
  if (max === 0 || owner.kind !== 'team') return;
  await manager.query(`SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, [owner.id]);
  if ((await count(manager, `SELECT count(*)::int AS n FROM services WHERE user_id = $1`, owner.id)) >= max) {
    throw new LimitReachedError(`Team ${owner.githubUsername} has ${String(max)} services in its projects, the most this platform allows per team: delete one first, or ask its admin.`);
  }
}

/** Before a project with `adding` services moves into a team: the team's services with them, against MAX_SERVICES_PER_TEAM. */
export async function checkTeamServicesRoom(ctx: UseCaseContext, manager: EntityManager, team: { id: string; slug: string }, adding: number): Promise<void> {
  const max = ctx.limits.servicesPerTeam;
  if (max === 0) return;
  await manager.query(`SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, [team.id]);
  const now = await count(manager, `SELECT count(*)::int AS n FROM services WHERE user_id = $1`, team.id);
  if (now + adding > max) {
    throw new LimitReachedError(`Team ${team.slug} has ${String(now)} services and room for ${String(max)}: this project's ${String(adding)} do not fit. Delete some first, or ask its admin.`);
  }
}
