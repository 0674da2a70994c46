/**
 * The one policy of who may do what to a project (issue 36). Every project and service
 * route asks it, through `authorizeProject` (or the lookups built on it: findOwnedService,
 * findProject): the actor's role on the project is
 * - `owner` of a project in their personal space, or of a project of a team they own (a
 *   project role never narrows a team's owner: every project keeps an owner, as the team does);
 * - else their role on the project (project_members: narrower, one project), if any;
 * - else their role on the team whose account owns the project (team_members);
 * - else none: the project does not exist for them (404, never 403, which would confirm it).
 * A role below what the action needs (PROJECT_ACTIONS of @dangus/common) is a 403 that
 * names the role and what it would take.
 */
import { PROJECT_ACTIONS, roleAllows, type ProjectAction, type ServiceAbilitiesDto, type ServiceDto, type TeamRole } from '@dangus/common';
import type { EntityManager } from 'typeorm';
import { ForbiddenError, NotFoundError } from '../errors.js';
import type { CurrentUser } from './context.js';

export type { ProjectAction, TeamRole };

/** The account that owns a project: a person, or a team's account. Its hash names the project's namespace and hosts. */
export interface ProjectOwner {
  id: string;
  hash: string;
  githubUsername: string;
  kind: 'person' | 'team';
}

export interface Authorized {
  role: TeamRole;
  owner: ProjectOwner;
}

const ACTION_WORDS: Record<ProjectAction, string> = {
  read: 'seeing this project',
  logs: 'reading logs',
  deploy: 'deploying and restarting',
  configure: 'changing services and env vars',
  reveal: 'reading env values',
  own: 'deleting the project and managing its members',
};

/** The reason a role may not do `action`, naming the role (the 403's message). */
export function roleReason(role: TeamRole, action: ProjectAction): string {
  return `Your role on this project is ${role}: ${ACTION_WORDS[action]} needs ${PROJECT_ACTIONS[action]} or above. Ask an owner of the team.`;
}

/**
 * A service's abilities for the actor's role: what the role may not do is off with the
 * reason naming it (the UI disables it and says why). `configure` is present only then.
 */
export function abilitiesForRole(can: ServiceAbilitiesDto, role: TeamRole): ServiceAbilitiesDto {
  const off = (action: ProjectAction) => ({ ok: false, reason: roleReason(role, action) });
  return {
    ...can,
    ...(roleAllows(role, 'deploy') ? {} : { deploy: off('deploy'), restart: off('deploy') }),
    ...(roleAllows(role, 'logs') ? {} : { observe: off('logs') }),
    ...(roleAllows(role, 'configure') ? {} : { configure: off('configure'), scale: off('configure') }),
  };
}

/** A service as the actor's role may read it: the webhook secret (which forges pushes) is for maintainers and above. */
export function serviceForRole(dto: ServiceDto, role: TeamRole): ServiceDto {
  return roleAllows(role, 'configure') ? dto : { ...dto, webhookSecret: '' };
}

/** The actor's role on a project owned by `ownerId`, or null when they have none. */
export async function roleOn(
  manager: EntityManager,
  actor: Pick<CurrentUser, 'id'>,
  project: { id: string; userId: string },
  options: { lock?: boolean } = {},
): Promise<Authorized | null> {
  // FOR SHARE of the membership rows: a removal (or a role change) waits for this
  // transaction, and this one waits for a removal under way, then sees it.
  const [row] = await manager.query<(ProjectOwner & { role: TeamRole | null })[]>(
    `SELECT u.id, u.hash, u.github_username AS "githubUsername", u.kind,
            CASE WHEN u.id = $2 THEN 'owner'
                 WHEN EXISTS (SELECT 1 FROM team_members tm JOIN teams t ON t.id = tm.team_id
                               WHERE t.account_id = u.id AND tm.user_id = $2 AND tm.role = 'owner'${options.lock ? ' FOR SHARE OF tm' : ''}) THEN 'owner'
                 ELSE coalesce((SELECT pm.role FROM project_members pm WHERE pm.project_id = $3 AND pm.user_id = $2${options.lock ? ' FOR SHARE' : ''}),
                               (SELECT tm.role FROM team_members tm JOIN teams t ON t.id = tm.team_id
                                 WHERE t.account_id = u.id AND tm.user_id = $2${options.lock ? ' FOR SHARE OF tm' : ''}))
            END AS role
       FROM users u WHERE u.id = $1`,
    [project.userId, actor.id, project.id],
  );
  if (!row || row.role === null) return null;
  const { role, ...owner } = row;
  return { role, owner };
}

/**
 * The policy: allowed (the role and the project's owner), 404 `what` when the actor has
 * no role on the project, or 403 naming their role. `lock`: inside a write's transaction,
 * the membership is read again and held, so a member removed meanwhile is refused.
 */
export async function authorizeProject(
  manager: EntityManager,
  actor: Pick<CurrentUser, 'id'>,
  project: { id: string; userId: string },
  action: ProjectAction,
  what = 'Project',
  options: { lock?: boolean } = {},
): Promise<Authorized> {
  // Inside a write: the project's owner as it is now, its row held to the transaction's end
  // (FOR NO KEY UPDATE: writes of one project take turns, as their quota checks already make
  // them; a foreign key's check is not held up), so a move under way (FOR UPDATE,
  // project-move.ts) is waited for and then seen, and the role is judged against the space
  // the project is in, not the one read before.
  const current = options.lock ? await lockedOwner(manager, project.id) : project.userId;
  if (current === null) throw new NotFoundError(what);
  const found = await roleOn(manager, actor, { id: project.id, userId: current }, options);
  if (!found) throw new NotFoundError(what);
  if (!roleAllows(found.role, action)) {
    throw new ForbiddenError(roleReason(found.role, action), 'role_forbidden');
  }
  return found;
}

/** The project's owner account, its row held to the transaction's end (null: deleted). */
async function lockedOwner(manager: EntityManager, projectId: string): Promise<string | null> {
  const [row] = await manager.query<{ userId: string }[]>(`SELECT user_id AS "userId" FROM projects WHERE id = $1 FOR NO KEY UPDATE`, [projectId]);
  return row?.userId ?? null;
}

/** The project of a deployment, when the actor may do `action` to it (404 `Deployment` otherwise). */
export async function authorizeDeployment(
  manager: EntityManager,
  actor: Pick<CurrentUser, 'id'>,
  deploymentId: string,
  action: ProjectAction,
): Promise<Authorized & { project: { id: string; userId: string } }> {
  const [project] = /^[0-9a-f-]{36}$/i.test(deploymentId)
    ? await manager.query<{ id: string; userId: string }[]>(
        `SELECT p.id, p.user_id AS "userId" FROM deployments d JOIN services s ON s.id = d.service_id JOIN projects p ON p.id = s.project_id WHERE d.id = $1`,
        [deploymentId],
      )
    : [];
  if (!project) throw new NotFoundError('Deployment');
  return { ...(await authorizeProject(manager, actor, project, action, 'Deployment')), project };
}
