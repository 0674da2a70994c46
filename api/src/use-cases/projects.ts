import { createProjectSchema, namespaceFor, type ProjectDetailDto, type ProjectDto, type ServiceSummaryDto } from '@dangus/common';
import { keepBucketsOf, revokeKeys } from './bucket-retirement.js';
import type { EntityManager } from 'typeorm';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.js';
import { ProjectEntity } from '../db/entities/index.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { changeState } from '../state-repo/state-sink.js';
import { isUuid, parseInput, uniqueViolation } from './validate.js';
import { checkProjectLimit } from './limits.js';
import { toServiceSummary } from './service-views.js';
import { serviceSummaries } from '../db/services-repo.js';

interface ProjectRow {
  id: string;
  name: string;
  created_at: Date;
  service_count: number;
}

function toProjectDto(user: CurrentUser, row: ProjectRow): ProjectDto {
  return {
    id: row.id,
    name: row.name,
    namespace: namespaceFor(user.hash, row.name),
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
           'namespace', $2::text || '-' || p.name,
           'createdAt', to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           'serviceCount', (SELECT count(*)::int FROM services s WHERE s.project_id = p.id)
         ) ORDER BY p.name COLLATE "C"), '[]')::text AS body
    FROM projects p
   WHERE p.user_id = $1`;

/** JSON text already in the shape of `T`, to be sent as it is. */
export type JsonText<T> = string & { readonly __json: T };

/** The user's projects with their service counts, in name order, as one JSON document. */
export async function listProjects(ctx: UseCaseContext, user: CurrentUser): Promise<JsonText<ProjectDto[]>> {
  const cached = user.listVersion === undefined ? undefined : ctx.projectListCache?.get(user.id, user.listVersion);
  if (cached !== undefined) return cached as JsonText<ProjectDto[]>;
  // Read the version with the list, in one snapshot, so a concurrent change is never cached as current.
  const rows = await ctx.db.query<{ body: string; version: string }[]>(
    `WITH list AS (${LIST_PROJECTS_SQL})
     SELECT list.body, u.list_version::text AS version FROM list, users u WHERE u.id = $1`,
    [user.id, user.hash],
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

export async function createProject(ctx: UseCaseContext, user: CurrentUser, input: unknown): Promise<ProjectDto> {
  const { name } = parseInput(createProjectSchema, input);
  const namespace = namespaceFor(user.hash, name);
  let project;
  try {
    project = await changeState(ctx, async (manager) => {
      await lockActiveOwner(manager, user);
      await checkProjectLimit(ctx, manager, user);
      const saved = await manager.getRepository(ProjectEntity).save({ userId: user.id, name });
      return {
        value: saved,
        change: { projectId: saved.id, namespace, verb: 'create', summary: `create project ${name}`, actor: { userId: user.id, githubUsername: user.githubUsername } },
      };
    });
  } catch (error) {
    if (uniqueViolation(error) === 'projects_user_id_name_key') {
      throw new ConflictError(`You already have a project named "${name}".`, { name: ['Already taken.'] });
    }
    throw error;
  }
  return toProjectDto(user, { id: project.id, name, created_at: project.createdAt, service_count: 0 });
}

async function findProject(ctx: UseCaseContext, user: CurrentUser, projectId: string) {
  const project = isUuid(projectId)
    ? await ctx.db.getRepository(ProjectEntity).findOneBy({ id: projectId, userId: user.id })
    : null;
  if (!project) throw new NotFoundError('Project');
  return project;
}

export async function getProject(ctx: UseCaseContext, user: CurrentUser, projectId: string): Promise<ProjectDetailDto> {
  const project = await findProject(ctx, user, projectId);
  const rows = await serviceSummaries(ctx.db.manager, project.id);
  const services: ServiceSummaryDto[] = rows.map((row) => toServiceSummary(ctx, user, row));
  return {
    ...toProjectDto(user, { id: project.id, name: project.name, created_at: project.createdAt, service_count: services.length }),
    services,
  };
}

/** Deletes the project's rows (services, env vars, deployments cascade) and then its namespace. */
export async function deleteProject(ctx: UseCaseContext, user: CurrentUser, projectId: string): Promise<void> {
  const project = await findProject(ctx, user, projectId);
  // Its registry first: the row that names the robot goes with the project.
  await ctx.registries.forget(project.id);
  // Its buckets are kept for the grace period, and their keys revoked once the deletion committed.
  const keys = await changeState(ctx, async (manager) => {
    const kept = await keepBucketsOf(ctx, manager, { projectId: project.id });
    await manager.getRepository(ProjectEntity).delete({ id: project.id, userId: user.id });
    return {
      value: kept,
      change: {
        projectId: project.id,
        namespace: namespaceFor(user.hash, project.name),
        verb: 'delete',
        summary: `delete project ${project.name}`,
        actor: { userId: user.id, githubUsername: user.githubUsername },
      },
    };
  });
  await revokeKeys(ctx, keys);
}
