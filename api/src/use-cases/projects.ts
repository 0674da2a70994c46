import { createProjectSchema, namespaceFor, type ProjectDetailDto, type ProjectDto, type ServiceSummaryDto } from '@dangus/common';
import { keepBucketsOf, revokeKeys } from './bucket-retirement.js';
import type { EntityManager } from 'typeorm';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.js';
import { ProjectEntity } from '../db/entities/index.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { changeState } from '../state-repo/state-sink.js';
import { isUuid, parseInput, uniqueViolation } from './validate.js';
import { checkProjectLimit } from './limits.js';
import { checkTeamProjectLimit } from './team-limits.js';
import { toServiceSummary } from './service-views.js';
import { serviceSummaries } from '../db/services-repo.js';
import { roleAllows, type TeamRole } from '@dangus/common';
import { authorizeProject, type ProjectAction } from './policy.js';

interface ProjectRow {
  id: string;
  name: string;
  namespace: string;
  created_at: Date;
  service_count: number;
}

function toProjectDto(row: ProjectRow): ProjectDto {
  return {
    id: row.id,
    name: row.name,
    namespace: row.namespace,
    createdAt: row.created_at.toISOString(),
    serviceCount: row.service_count,
  };
}

/**
 * The SQL of the project list. PostgreSQL builds the JSON array itself: with a
 * thousand projects, parsing rows into objects and serialising them again in
 * Node cost more than the query (issue 2's benchmark). `COLLATE "C"` orders
 * DNS labels bytewise, without the locale's slower rules.
 */
export const LIST_PROJECTS_SQL = `
  SELECT coalesce(json_agg(json_build_object(
           'id', p.id,
           'name', p.name,
           'namespace', p.namespace,
           'createdAt', to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           'serviceCount', (SELECT count(*)::int FROM services s WHERE s.project_id = p.id)
         ) ORDER BY p.name COLLATE "C"), '[]')::text AS body
    FROM projects p
   WHERE p.user_id = $1
      OR p.user_id IN (SELECT t.account_id FROM teams t JOIN team_members tm ON tm.team_id = t.id WHERE tm.user_id = $1)
      OR p.id IN (SELECT pm.project_id FROM project_members pm WHERE pm.user_id = $1)`;

/** JSON text already in the shape of `T`, to be sent as it is. */
export type JsonText<T> = string & { readonly __json: T };

/** The user's projects (their own, their teams', those they are a member of) with their service counts, in name order, as one JSON document. */
export async function listProjects(ctx: UseCaseContext, user: CurrentUser): Promise<JsonText<ProjectDto[]>> {
  const cached = user.listVersion === undefined ? undefined : ctx.projectListCache?.get(user.id, user.listVersion);
  if (cached !== undefined) return cached as JsonText<ProjectDto[]>;
  // Read the version with the list, in one snapshot, so a concurrent change is never cached as current.
  const rows = await ctx.db.query<{ body: string; version: string }[]>(
    `WITH list AS (${LIST_PROJECTS_SQL})
     SELECT list.body, u.list_version::text AS version FROM list, users u WHERE u.id = $1`,
    [user.id],
  );
  const body = rows[0]?.body ?? '[]';
  if (rows[0]) ctx.projectListCache?.set(user.id, rows[0].version, body);
  return body as JsonText<ProjectDto[]>;
}

/**
 * Locks the owner's row for a project creation and refuses a blocked owner. Removing
 * a user blocks them first and then deletes the projects they own (access.ts): a
 * creation either commits before the block, and its project is on that list, or
 * sees the block.
 */
async function lockActiveOwner(manager: EntityManager, user: CurrentUser): Promise<void> {
  const [owner] = await manager.query<{ status: string }[]>(`SELECT status FROM users WHERE id = $1 FOR UPDATE`, [user.id]);
  if (owner?.status !== 'active') throw new ForbiddenError('Your account is blocked on this platform: ask its admin.', 'blocked');
}

/**
 * The account a new project goes to: the user's own, or a team's they may create projects
 * in (maintainer or above). Someone else's team does not exist for them (404).
 */
async function spaceFor(ctx: UseCaseContext, user: CurrentUser, teamId: string | undefined): Promise<CurrentUser> {
  if (teamId === undefined) return user;
  const [team] = await ctx.db.query<{ account_id: string; hash: string; slug: string; role: TeamRole }[]>(
    `SELECT t.account_id, u.hash, t.slug, tm.role FROM teams t JOIN users u ON u.id = t.account_id
       JOIN team_members tm ON tm.team_id = t.id AND tm.user_id = $2 WHERE t.id = $1`,
    [teamId, user.id],
  );
  if (!team) throw new NotFoundError('Team');
  if (!roleAllows(team.role, 'configure')) {
    throw new ForbiddenError(`Your role on team ${team.slug} is ${team.role}: creating projects needs maintainer or above.`, 'role_forbidden');
  }
  return { id: team.account_id, githubUsername: team.slug, hash: team.hash, role: 'member' };
}

export async function createProject(ctx: UseCaseContext, user: CurrentUser, input: unknown): Promise<ProjectDto> {
  const { name, teamId } = parseInput(createProjectSchema, input);
  const space = await spaceFor(ctx, user, teamId);
  const namespace = namespaceFor(space.hash, name);
  let project;
  try {
    project = await changeState(ctx, async (manager) => {
      await lockActiveOwner(manager, space);
      if (space.id !== user.id) await spaceFor(ctx, user, teamId);
      // The limits of the space: a team's projects count against the team (MAX_PROJECTS_PER_TEAM), not the member.
      if (space.id === user.id) await checkProjectLimit(ctx, manager, user);
      else await checkTeamProjectLimit(ctx, manager, { id: space.id, slug: space.githubUsername });
      const saved = await manager.getRepository(ProjectEntity).save({ userId: space.id, name, namespace });
      return {
        value: saved,
        change: { projectId: saved.id, namespace, verb: 'create', summary: `create project ${name}`, actor: { userId: user.id, githubUsername: user.githubUsername } },
      };
    });
  } catch (error) {
    if (uniqueViolation(error) === 'projects_user_id_name_key') {
      throw new ConflictError(`${space.id === user.id ? 'You already have' : `Team ${space.githubUsername} already has`} a project named "${name}".`, { name: ['Already taken.'] });
    }
    throw error;
  }
  return toProjectDto({ id: project.id, name, namespace, created_at: project.createdAt, service_count: 0 });
}

/** A project the user may do `action` to, with its owner (policy.ts); no role on it: 404. */
export async function findProject(ctx: UseCaseContext, user: CurrentUser, projectId: string, action: ProjectAction = 'read') {
  const project = isUuid(projectId) ? await ctx.db.getRepository(ProjectEntity).findOneBy({ id: projectId }) : null;
  if (!project) throw new NotFoundError('Project');
  const { owner, role } = await authorizeProject(ctx.db.manager, user, project, action);
  return { project: { ...project, ownerHash: owner.hash }, owner, role };
}

export async function getProject(ctx: UseCaseContext, user: CurrentUser, projectId: string): Promise<ProjectDetailDto> {
  const { project, role } = await findProject(ctx, user, projectId);
  const rows = await serviceSummaries(ctx.db.manager, project.id);
  const services: ServiceSummaryDto[] = rows.map((row) => toServiceSummary(ctx, user, row));
  return {
    ...toProjectDto({ id: project.id, name: project.name, namespace: project.namespace, created_at: project.createdAt, service_count: services.length }),
    services,
    role,
  };
}

/** Deletes the project's rows (services, env vars, deployments cascade) and then its namespace. */
export async function deleteProject(ctx: UseCaseContext, user: CurrentUser, projectId: string): Promise<void> {
  const { project } = await findProject(ctx, user, projectId, 'own');
  // Its registry first: the row that names the robot goes with the project.
  await ctx.registries.forget(project.id);
  const keys = await changeState(ctx, async (manager) => {
    await authorizeProject(manager, user, project, 'own', 'Project', { lock: true });
    const kept = await keepBucketsOf(ctx, manager, { projectId: project.id });
    await manager.getRepository(ProjectEntity).delete({ id: project.id, userId: project.userId });
    return {
      value: kept,
      change: {
        projectId: project.id,
        namespace: project.namespace,
        verb: 'delete',
        summary: `delete project ${project.name}`,
        actor: { userId: user.id, githubUsername: user.githubUsername },
      },
    };
  });
  await revokeKeys(ctx, keys);
}
