import { createProjectSchema, namespaceFor, type ProjectDetailDto, type ProjectDto, type ServiceSummaryDto } from '@dangus/common';
import { ConflictError, NotFoundError } from '../errors.js';
import { ProjectEntity } from '../db/entities/index.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { isUuid, parseInput, uniqueViolation } from './validate.js';
import { toServiceSummary, type ServiceSummaryRow } from './service-views.js';

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

/** The user's projects with their service counts, in name order (one query). */
export async function listProjects(ctx: UseCaseContext, user: CurrentUser): Promise<ProjectDto[]> {
  const rows: ProjectRow[] = await ctx.db.query(
    `SELECT p.id, p.name, p.created_at,
            (SELECT count(*)::int FROM services s WHERE s.project_id = p.id) AS service_count
       FROM projects p
      WHERE p.user_id = $1
      ORDER BY p.name`,
    [user.id],
  );
  return rows.map((row) => toProjectDto(user, row));
}

export async function createProject(ctx: UseCaseContext, user: CurrentUser, input: unknown): Promise<ProjectDto> {
  const { name } = parseInput(createProjectSchema, input);
  let project;
  try {
    project = await ctx.db.getRepository(ProjectEntity).save({ userId: user.id, name });
  } catch (error) {
    if (uniqueViolation(error) === 'projects_user_id_name_key') {
      throw new ConflictError(`You already have a project named "${name}".`, { name: ['Already taken.'] });
    }
    throw error;
  }
  const namespace = namespaceFor(user.hash, name);
  await ctx.stateSink.tenantChanged({
    projectId: project.id,
    namespace,
    verb: 'create',
    summary: `create project ${name}`,
    actor: { userId: user.id, githubUsername: user.githubUsername },
  });
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
  const rows: ServiceSummaryRow[] = await ctx.db.query(
    `SELECT s.id, s.name, s.port, d.id AS deployment_id, d.commit_sha, d.status, d.created_at AS deployment_created_at
       FROM services s
       LEFT JOIN LATERAL (
         SELECT id, commit_sha, status, created_at FROM deployments
          WHERE service_id = s.id ORDER BY created_at DESC LIMIT 1
       ) d ON true
      WHERE s.project_id = $1
      ORDER BY s.name`,
    [project.id],
  );
  const services: ServiceSummaryDto[] = rows.map((row) => toServiceSummary(ctx, user, row));
  return {
    ...toProjectDto(user, { id: project.id, name: project.name, created_at: project.createdAt, service_count: services.length }),
    services,
  };
}

/** Deletes the project's rows (services, env vars, deployments cascade) and then its namespace. */
export async function deleteProject(ctx: UseCaseContext, user: CurrentUser, projectId: string): Promise<void> {
  const project = await findProject(ctx, user, projectId);
  await ctx.db.getRepository(ProjectEntity).delete({ id: project.id, userId: user.id });
  await ctx.stateSink.tenantChanged({
    projectId: project.id,
    namespace: namespaceFor(user.hash, project.name),
    verb: 'delete',
    summary: `delete project ${project.name}`,
    actor: { userId: user.id, githubUsername: user.githubUsername },
  });
}
