import { randomBytes } from 'node:crypto';
import {
  SERVICE_RUNTIME_FIELDS,
  createServiceSchema,
  serviceHostFor,
  updateServiceSchema,
  type DeploymentDto,
  type ServiceDto,
} from '@dangus/common';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { checkQuota, sizeOf } from './capacity.js';
import { checkTeamServiceLimit } from './team-limits.js';
import { namespaceHash } from '../db/project-namespace.js';
import { ProjectEntity, ServiceEntity, UserEntity, type Project, type Service } from '../db/entities/index.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { TenantFailures } from '../state-repo/tenant-failures.js';
import { toDeploymentDto } from '../db/deployment-dto.js';
import { buildRecorded, recordBuild } from './builds.js';
import { recordConfigRollout } from './config-rollout.js';
import { changeState, type TenantChange } from '../state-repo/state-sink.js';
import { toServiceDto } from './service-views.js';
import { markRestarted, serviceStatus } from '../db/services-repo.js';
import { unfinishedBuildShas } from '../db/deployments-repo.js';
import { isUuid, parseInput, uniqueViolation } from './validate.js';
import { isGitHubAccount } from '../auth/local-sign-in.js';
import { repositoryAccess } from '../github/repository-access.js';
import { markBinding, proveRepository } from './repository-binding.js';
import { accessDeps } from './service-abilities.js';
import { changePreviewSettings, missingSeedKeys } from './preview-settings.js';
import { checkServiceLimit } from './limits.js';
import { keepBucketsOf, revokeKeys } from './bucket-retirement.js';
import { abilitiesForRole, authorizeProject, serviceForRole, type ProjectAction, type ProjectOwner, type TeamRole } from './policy.js';
import { findProject } from './projects.js';
import {
  NOTHING_RUNS_REASON,
  VOLUME_REPLICAS_REASON,
  privateRepoReason,
  repoOf,
  requireCluster,
  serviceAbilities,
} from './service-abilities.js';

/**
 * A service the signed-in user may act on, with its project and the project's owner:
 * answered by the policy (policy.ts). No role on its project: not found; a role below
 * `action` (the strictest but one, `configure`, unless told): 403 naming the role.
 */
export async function findOwnedService(
  ctx: UseCaseContext,
  user: CurrentUser,
  serviceId: string,
  action: ProjectAction = 'configure',
): Promise<{ service: Service; project: OwnedProject; owner: ProjectOwner; role: TeamRole }> {
  const service = isUuid(serviceId) ? await ctx.db.getRepository(ServiceEntity).findOneBy({ id: serviceId }) : null;
  const project = service ? await ctx.db.getRepository(ProjectEntity).findOneBy({ id: service.projectId }) : null;
  if (!service || !project) throw new NotFoundError('Service');
  const { role, owner } = await authorizeProject(ctx.db.manager, user, project, action, 'Service');
  return { service, project: { ...project, ownerHash: owner.hash }, owner, role };
}

/** A project with its owner's hash (a person's or a team's): the first part of its namespace. */
export type OwnedProject = Project & { ownerHash?: string };

/** The namespace of a project: the one pinned on its row (the creating owner's hash and its name), whoever owns it now. */
export function projectNamespace(_user: CurrentUser, project: OwnedProject): string {
  // Pinned on the row (db/project-namespace.ts), whoever owns the project now.
  return project.namespace;
}

/** The state-repo change for an intent about one service of `project`. */
export function serviceChange(
  user: CurrentUser,
  project: OwnedProject,
  serviceName: string,
  intent: Pick<TenantChange, 'verb' | 'summary' | 'deploymentId' | 'sourceCommit' | 'envSecretOf' | 'deletedService'>,
): TenantChange {
  return {
    projectId: project.id,
    namespace: projectNamespace(user, project),
    serviceName,
    actor: { userId: user.id, githubUsername: user.githubUsername },
    ...intent,
  };
}

export async function createService(
  ctx: UseCaseContext,
  user: CurrentUser,
  projectId: string,
  input: unknown,
): Promise<ServiceDto> {
  const fields = parseInput(createServiceSchema, input);
  checkRuntime(ctx, fields);
  const { project, owner } = await findProject(ctx, user, projectId, 'configure');
  // Bound to GitHub's repository id only when the acting user is shown to read it (repository-binding.ts).
  const proof = await proveRepository(ctx, user, fields.repoUrl);
  let service: Service;
  try {
    service = await changeState(ctx, async (manager) => {
      await authorizeProject(manager, user, project, 'configure', 'Project', { lock: true });
      await checkServiceLimit(ctx, manager, user, project.id);
      await checkTeamServiceLimit(ctx, manager, owner);
      await checkQuota(manager, ctx.capacity, project.id, { serviceId: null, replicas: fields.replicas, size: fields.size });
      const saved = await manager.getRepository(ServiceEntity).save({
        ...fields,
        projectId: project.id,
        userId: owner.id,
        // Fixed here for the service's life: the one source of its address.
        host: serviceHostFor(namespaceHash(project), project.name, fields.name),
        webhookSecret: ctx.encryptor.encrypt(randomBytes(32).toString('hex')),
        githubRepositoryId: proof?.id ?? null,
      });
      await markBinding(manager, saved.id, proof);
      return { value: saved, change: serviceChange(user, project, saved.name, { verb: 'create', summary: `create service ${saved.name}` }) };
    });
  } catch (error) {
    const constraint = uniqueViolation(error);
    if (constraint === 'services_project_id_name_key') {
      throw new ConflictError(`Project ${project.name} already has a service named "${fields.name}".`, {
        name: ['Already used by another service of this project.'],
      });
    }
    if (constraint === 'services_host_key') {
      // Only one user's own hosts can meet (each starts with the owner's hash): a cut long
      // host whose digest another of theirs has, or an older service's `{hash}-{service}`.
      throw new ConflictError(
        `The address ${serviceHostFor(namespaceHash(project), project.name, fields.name)} is already used by another of your services: choose another name.`,
        { name: ['Its address is already used by another of your services.'] },
      );
    }
    throw error;
  }
  return toServiceDto(ctx, user, service, null, await serviceAbilities(ctx, user.id, service));
}

export async function getService(ctx: UseCaseContext, user: CurrentUser, serviceId: string): Promise<ServiceDto> {
  const { service, role } = await findOwnedService(ctx, user, serviceId, 'read');
  const [status, can, syncError, missing] = await Promise.all([
    serviceStatus(ctx.db.manager, service.id),
    serviceAbilities(ctx, user.id, service),
    new TenantFailures(ctx.db).of(service.projectId),
    missingSeedKeys(ctx.db.manager, service),
  ]);
  return serviceForRole(toServiceDto(ctx, user, service, status, abilitiesForRole(can, role), syncError, missing), role);
}

export async function updateService(
  ctx: UseCaseContext,
  user: CurrentUser,
  serviceId: string,
  input: unknown,
): Promise<ServiceDto> {
  const { previews, ...changes } = parseInput(updateServiceSchema, input);
  const { service, project, role } = await findOwnedService(ctx, user, serviceId);
  // The repository given (even unchanged: saving it again checks access again), asked of GitHub with the acting user's token.
  const proof = 'repoUrl' in changes && changes.repoUrl !== undefined ? await proveRepository(ctx, user, changes.repoUrl) : null;
  const summary = `update ${Object.keys({ ...changes, ...(previews ? { previews } : {}) }).sort().join(', ')}`;
  const { updated, rollout } = await changeState(ctx, async (manager) => {
    // The row as it is now, locked to the end of the transaction: a concurrent change of the
    // service waits, and the rules hold for the row as it will be stored.
    await authorizeProject(manager, user, project, 'configure', 'Service', { lock: true });
    const locked = await manager.getRepository(ServiceEntity).findOneOrFail({ where: { id: service.id }, lock: { mode: 'for_no_key_update' } });
    const merged = { ...locked, ...changes };
    checkRuntime(ctx, merged);
    await checkQuota(manager, ctx.capacity, project.id, { serviceId: service.id, replicas: merged.replicas, size: merged.size });
    // Another repository: bound only to what the acting user was shown to read (else unbound);
    // the same one: bound again when shown, else kept as it is (another member may have shown it).
    const repository = 'repoUrl' in changes && changes.repoUrl !== locked.repoUrl
      ? { githubRepositoryId: proof?.id ?? null }
      : proof?.id ? { githubRepositoryId: proof.id } : {};
    const previewColumns = previews ? await changePreviewSettings(manager, locked, previews) : {};
    Object.assign(merged, previewColumns);
    await manager.getRepository(ServiceEntity).update({ id: service.id, userId: service.userId }, { ...changes, ...repository, ...previewColumns });
    if ('githubRepositoryId' in repository) await markBinding(manager, service.id, proof);
    // What the running release depends on rolls out as a new release (no build), like an
    // env change: it goes live or fails, and a failure restores the previous release.
    const runtime = SERVICE_RUNTIME_FIELDS.some(
      (field) => field in changes && changes[field] !== locked[field],
    );
    const row = runtime ? await recordConfigRollout(manager, service.id, summary) : null;
    return {
      value: { updated: merged, rollout: row },
      change: serviceChange(user, project, service.name, { verb: 'update', summary, ...(row ? { deploymentId: row.id } : {}) }),
    };
  });
  if (rollout) {
    ctx.events.deploymentChanged({ userId: updated.userId, deployment: toDeploymentDto(rollout) });
    ctx.pipeline?.kick([rollout.id]);
  }
  const [status, can, syncError, missing] = await Promise.all([
    serviceStatus(ctx.db.manager, service.id),
    serviceAbilities(ctx, user.id, updated),
    new TenantFailures(ctx.db).of(project.id),
    missingSeedKeys(ctx.db.manager, updated),
  ]);
  return toServiceDto(ctx, user, updated, status, abilitiesForRole(can, role), syncError, missing);
}

export async function deleteService(ctx: UseCaseContext, user: CurrentUser, serviceId: string): Promise<void> {
  const { service, project } = await findOwnedService(ctx, user, serviceId);
  const keys = await changeState(ctx, async (manager) => {
    await authorizeProject(manager, user, project, 'configure', 'Service', { lock: true });
    const buildShas = await unfinishedBuildShas(manager, service.id);
    const kept = await keepBucketsOf(ctx, manager, { serviceId: service.id });
    await manager.getRepository(ServiceEntity).delete({ id: service.id, userId: service.userId });
    return {
      value: kept,
      change: serviceChange(user, project, service.name, {
        verb: 'delete',
        summary: `delete service ${service.name}`,
        deletedService: { namespace: projectNamespace(user, project), name: service.name, buildShas },
      }),
    };
  });
  await revokeKeys(ctx, keys);
}

/**
 * Manual deploy: resolves the branch head through GitHub (with the user's token, or
 * anonymously for a public repository when the user has none) and records a `pending`
 * build of it. Refused, with the reason the service page shows on the button
 * (service-abilities.ts), without a cluster or when the repository cannot be read. The
 * pipeline picks the row up (it is the durable record), never this request.
 */
export async function deployService(ctx: UseCaseContext, user: CurrentUser, serviceId: string): Promise<DeploymentDto> {
  const { service, project } = await findOwnedService(ctx, user, serviceId, 'deploy');
  requireCluster(ctx);
  const owner = await ctx.db.getRepository(UserEntity).findOneByOrFail({ id: user.id });
  const { owner: repoOwner, repo } = repoOf(service);
  let token: string | null = null;
  const access = await repositoryAccess(accessDeps(ctx), service);
  if (access.via === 'refused') throw new ConflictError(access.reason);
  if (access.via === 'app' && ctx.githubApp) {
    token = (await ctx.githubApp.tokenForRepository(access.repositoryId, { contents: 'read' })).token;
  } else if (access.via === 'anonymous') {
    token = null;
  } else if (!isGitHubAccount(owner.githubId)) {
    // Asked afresh (the page's answer may be a minute old): a repository made public since then deploys.
    const visibility = await ctx.github.repoVisibility(repoOwner, repo).catch(() => 'unknown' as const);
    if (visibility === 'hidden') throw new ConflictError(privateRepoReason(`${repoOwner}/${repo}`));
  } else {
    token = ctx.encryptor.decrypt(owner.githubAccessToken);
  }
  const head = await ctx.github.branchHead(token, repoOwner, repo, service.branch);
  const recorded = await ctx.db.transaction(async (manager) => {
    await authorizeProject(manager, user, project, 'deploy', 'Service', { lock: true });
    return recordBuild(manager, { serviceId: service.id, commitSha: head.sha, commitMessage: head.message, trigger: 'manual' });
  });
  buildRecorded(ctx, recorded);
  return toDeploymentDto(recorded.deployment);
}

/**
 * A rolling restart: the pod template gets a `dangus.cloud/restarted-at` annotation, one
 * commit with the actor like any other change; the Deployment replaces its pods as for a
 * rollout (a service with a volume stops first: Recreate). 409 before anything runs.
 */
export async function restartService(ctx: UseCaseContext, user: CurrentUser, serviceId: string): Promise<{ restartedAt: string }> {
  const { service, project } = await findOwnedService(ctx, user, serviceId, 'deploy');
  requireCluster(ctx);
  const restartedAt = new Date();
  await changeState(ctx, async (manager) => {
    await authorizeProject(manager, user, project, 'deploy', 'Service', { lock: true });
    if (!(await markRestarted(manager, service.id, restartedAt))) throw new ConflictError(NOTHING_RUNS_REASON);
    return { value: undefined, change: serviceChange(user, project, service.name, { verb: 'restart', summary: 'rolling restart' }) };
  });
  return { restartedAt: restartedAt.toISOString() };
}

/** Replicas with a volume, and the size's name: checked before the quota (400s). */
function checkRuntime(ctx: UseCaseContext, fields: { replicas: number; size: string | null; storageGb: number | null }): void {
  if (fields.replicas > 1 && fields.storageGb !== null) {
    throw new ValidationError(VOLUME_REPLICAS_REASON, {
      replicas: ['1 with a volume: remove the volume to run more.'],
    });
  }
  if (fields.size !== null) sizeOf(ctx.capacity, fields.size);
}

