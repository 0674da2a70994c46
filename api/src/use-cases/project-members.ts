/**
 * Roles on one project (issue 36): who has a role on a project and where it comes from,
 * and the owners' changes of them (`project_members`). A project role opens that project
 * alone; for a member of the project's team it overrides the team role there, narrower or
 * wider. The last-owner rule holds by construction: the personal space that owns a project,
 * and the owners of the team that owns it, are its owners whatever is set here (409 when
 * asked), and a team always keeps an owner (teams.ts). Changes lock the project's row, so
 * two at once are decided one after the other, and read the acting owner's role again
 * under that lock (the policy with `lock`).
 */
import { githubLoginSchema, setProjectRoleSchema, type ProjectMemberDto, type TeamRole } from '@dangus/common';
import type { EntityManager } from 'typeorm';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { authorizeProject } from './policy.js';
import { findProject } from './projects.js';
import { parseInput } from './validate.js';
import { recordTeamActivity } from './activity-log.js';
import { recheckProofsAfter } from './binding-triggers.js';

interface MemberRow {
  user_id: string;
  github_username: string;
  role: TeamRole;
  source: ProjectMemberDto['source'];
  team_role: TeamRole | null;
  since: Date;
}

/** Everyone with a role on the project: the owning person, the team's members (with any project role over theirs), and the project's own members. */
const MEMBERS_SQL = `
  SELECT u.id AS user_id, u.github_username, 'owner' AS role, 'account' AS source, NULL AS team_role, u.created_at AS since
    FROM users u WHERE u.id = $2 AND u.kind = 'person'
  UNION ALL
  SELECT u.id, u.github_username,
         CASE WHEN tm.role = 'owner' THEN 'owner' ELSE coalesce(pm.role, tm.role) END,
         CASE WHEN pm.role IS NULL OR tm.role = 'owner' THEN 'team' ELSE 'project' END,
         tm.role, coalesce(pm.created_at, tm.created_at)
    FROM team_members tm JOIN teams t ON t.id = tm.team_id AND t.account_id = $2
    JOIN users u ON u.id = tm.user_id
    LEFT JOIN project_members pm ON pm.project_id = $1 AND pm.user_id = tm.user_id
  UNION ALL
  SELECT u.id, u.github_username, pm.role, 'project', NULL, pm.created_at
    FROM project_members pm JOIN users u ON u.id = pm.user_id
   WHERE pm.project_id = $1 AND pm.user_id <> $2
     AND NOT EXISTS (SELECT 1 FROM team_members tm JOIN teams t ON t.id = tm.team_id WHERE t.account_id = $2 AND tm.user_id = pm.user_id)`;

const toDto = (r: MemberRow): ProjectMemberDto => ({
  userId: r.user_id,
  githubUsername: r.github_username,
  role: r.role,
  source: r.source,
  teamRole: r.team_role,
  since: r.since.toISOString(),
});

async function membersOf(manager: EntityManager, project: { id: string; userId: string }): Promise<ProjectMemberDto[]> {
  const rows = await manager.query<MemberRow[]>(`SELECT * FROM (${MEMBERS_SQL}) m ORDER BY lower(github_username)`, [project.id, project.userId]);
  return rows.map(toDto);
}

/** The project's people and their roles, for anyone with a role on it. */
export async function listProjectMembers(ctx: UseCaseContext, user: CurrentUser, projectId: string): Promise<ProjectMemberDto[]> {
  const { project } = await findProject(ctx, user, projectId, 'read');
  return membersOf(ctx.db.manager, project);
}

/** The person a login names: someone who has signed in here (a team's account is no one). */
async function personByLogin(ctx: UseCaseContext, login: string): Promise<{ id: string; githubUsername: string }> {
  const parsed = githubLoginSchema.safeParse(login);
  if (!parsed.success) throw new ValidationError('The GitHub login is not valid.', { login: parsed.error.issues.map((i) => i.message) });
  const [row] = await ctx.db.query<{ id: string; githubUsername: string }[]>(
    `SELECT id, github_username AS "githubUsername" FROM users WHERE kind = 'person' AND lower(github_username) = lower($1) ORDER BY last_sign_in_at DESC NULLS LAST LIMIT 1`,
    [parsed.data],
  );
  if (!row) throw new NotFoundError(`A user with the GitHub login ${parsed.data}`);
  return row;
}

/** Locks the project's row and reads the acting owner's role and the target's standing again, under it. */
async function lockedTarget(manager: EntityManager, actor: CurrentUser, project: { id: string; userId: string }, targetId: string) {
  await manager.query(`SELECT 1 FROM projects WHERE id = $1 FOR UPDATE`, [project.id]);
  const { owner } = await authorizeProject(manager, actor, project, 'own', 'Project', { lock: true });
  const [team] = await manager.query<{ id: string; role: TeamRole | null }[]>(
    `SELECT t.id, (SELECT tm.role FROM team_members tm WHERE tm.team_id = t.id AND tm.user_id = $2) AS role FROM teams t WHERE t.account_id = $1`,
    [owner.id, targetId],
  );
  if (targetId === owner.id) throw new ConflictError('This person owns the project (it is in their space): their role is always owner.', { role: ['The project needs its owner.'] });
  if (team?.role === 'owner') {
    throw new ConflictError('An owner of the team owns each of its projects: change their role on the team instead.', { role: ['Team owners own every project of the team.'] });
  }
  return { teamId: team?.id ?? null };
}

/** Gives `login` a role on the project (owners only): added, or changed. */
export async function setProjectRole(ctx: UseCaseContext, actor: CurrentUser, projectId: string, login: string, input: unknown): Promise<ProjectMemberDto> {
  const { project } = await findProject(ctx, actor, projectId, 'own');
  const { role } = parseInput(setProjectRoleSchema, input);
  const target = await personByLogin(ctx, login);
  await ctx.db.transaction(async (manager) => {
    const { teamId } = await lockedTarget(manager, actor, project, target.id);
    await manager.query(
      `INSERT INTO project_members (project_id, user_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (project_id, user_id) DO UPDATE SET role = EXCLUDED.role`,
      [project.id, target.id, role],
    );
    await recordTeamActivity(manager, actor, { teamId, projectId: project.id, action: 'project-member.set', subject: `${target.githubUsername} as ${role} on ${project.name}` });
  });
  // A narrower role: the repository bindings they proved here are proven again or cleared.
  recheckProofsAfter(ctx, { provenBy: target.id, projectId: project.id });
  const member = (await membersOf(ctx.db.manager, project)).find((m) => m.userId === target.id);
  if (!member) throw new NotFoundError('Member');
  return member;
}

/**
 * Takes `login`'s role on the project away (owners; anyone may drop their own): a member of
 * the team falls back to their team role, anyone else loses the project. Returns who it was.
 */
export async function removeProjectRole(ctx: UseCaseContext, actor: CurrentUser, projectId: string, login: string): Promise<{ userId: string; projectId: string }> {
  const action = login.toLowerCase() === actor.githubUsername.toLowerCase() ? 'read' : 'own';
  const { project } = await findProject(ctx, actor, projectId, action);
  const target = await personByLogin(ctx, login).catch((error: unknown) => {
    if (error instanceof NotFoundError) throw new NotFoundError('Member');
    throw error;
  });
  await ctx.db.transaction(async (manager) => {
    await manager.query(`SELECT 1 FROM projects WHERE id = $1 FOR UPDATE`, [project.id]);
    const { owner } = await authorizeProject(manager, actor, project, action, 'Project', { lock: true });
    const held = await manager.query<{ role: string }[]>(`SELECT role FROM project_members WHERE project_id = $1 AND user_id = $2`, [project.id, target.id]);
    if (held.length === 0) throw new NotFoundError('Member');
    await manager.query(`DELETE FROM project_members WHERE project_id = $1 AND user_id = $2`, [project.id, target.id]);
    const [team] = await manager.query<{ id: string }[]>(`SELECT id FROM teams WHERE account_id = $1`, [owner.id]);
    await recordTeamActivity(manager, actor, { teamId: team?.id ?? null, projectId: project.id, action: 'project-member.remove', subject: `${target.githubUsername} from ${project.name}` });
  });
  recheckProofsAfter(ctx, { provenBy: target.id, projectId: project.id });
  return { userId: target.id, projectId: project.id };
}
