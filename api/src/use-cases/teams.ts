/**
 * Teams (issue 36): a team, its members and their roles. The team's projects are owned by
 * its account (a `users` row of kind `team`, migration 1765410000000), so their names,
 * limits and pipeline are those of any owner; who may act on them is the policy's
 * (policy.ts). Membership changes lock the team's member rows, so two at once are decided
 * one after the other, and the acting member's role is read again under that lock.
 */
import { createTeamSchema, changeRoleSchema, type TeamDto, type TeamMemberDto, type TeamRole } from '@dangus/common';
import type { EntityManager } from 'typeorm';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { isUuid, parseInput, uniqueViolation } from './validate.js';
import { randomUserHash } from './users.js';
import { recordTeamActivity } from './activity-log.js';
import { checkTeamLimit } from './team-limits.js';
import { recheckProofsAfter } from './binding-triggers.js';

/** Called after a member left a team: their open streams of its projects end (http/project-streams.ts). */
export type MemberRemoved = (userId: string, teamAccountId: string) => void;

interface TeamRow {
  id: string;
  account_id: string;
  name: string;
  slug: string;
  hash: string;
  role: TeamRole;
  member_count: number;
  created_at: Date;
}

const TEAM_SQL = `
  SELECT t.id, t.account_id, t.name, t.slug, u.hash, tm.role, t.created_at,
         (SELECT count(*)::int FROM team_members m WHERE m.team_id = t.id) AS member_count
    FROM teams t JOIN users u ON u.id = t.account_id
    JOIN team_members tm ON tm.team_id = t.id AND tm.user_id = $1`;

function toTeamDto(row: TeamRow): TeamDto {
  return { id: row.id, name: row.name, slug: row.slug, hash: row.hash, role: row.role, memberCount: row.member_count, createdAt: row.created_at.toISOString() };
}

/** The user's teams, by slug. */
export async function listTeams(ctx: UseCaseContext, user: CurrentUser): Promise<TeamDto[]> {
  const rows = await ctx.db.query<TeamRow[]>(`${TEAM_SQL} ORDER BY t.slug`, [user.id]);
  return rows.map(toTeamDto);
}

/** A team the user is a member of (any role), or 404: another team does not exist for them. */
export async function findTeam(manager: EntityManager, user: CurrentUser, teamId: string): Promise<TeamRow> {
  const [row] = isUuid(teamId) ? await manager.query<TeamRow[]>(`${TEAM_SQL} WHERE t.id = $2`, [user.id, teamId]) : [];
  if (!row) throw new NotFoundError('Team');
  return row;
}

export async function getTeam(ctx: UseCaseContext, user: CurrentUser, teamId: string): Promise<TeamDto> {
  return toTeamDto(await findTeam(ctx.db.manager, user, teamId));
}

/**
 * A new team, its creator its owner. Its account gets a hash of its own, drawn like a
 * user's and unique among users' and teams' together (one index), so no team namespace
 * or host can meet a user's.
 */
export async function createTeam(ctx: UseCaseContext, user: CurrentUser, input: unknown): Promise<TeamDto> {
  const { name, slug } = parseInput(createTeamSchema, input);
  for (let attempt = 1; ; attempt += 1) {
    try {
      const teamId = await ctx.db.transaction(async (manager) => {
        await checkTeamLimit(ctx, manager, user);
        const [account] = await manager.query<{ id: string }[]>(
          `INSERT INTO users (github_id, github_username, github_access_token, hash, kind, approved)
           VALUES (-nextval('team_account_github_ids'), $1, $2, $3, 'team', true) RETURNING id`,
          [slug, ctx.encryptor.encrypt(''), randomUserHash()],
        );
        const [team] = await manager.query<{ id: string }[]>(
          `INSERT INTO teams (account_id, name, slug, created_by) VALUES ($1, $2, $3, $4) RETURNING id`,
          [account?.id, name, slug, user.id],
        );
        const id = team?.id ?? '';
        await manager.query(`INSERT INTO team_members (team_id, user_id, role) VALUES ($1, $2, 'owner')`, [id, user.id]);
        await recordTeamActivity(manager, user, { teamId: id, action: 'team.create', subject: slug });
        return id;
      });
      return await getTeam(ctx, user, teamId);
    } catch (error) {
      const constraint = uniqueViolation(error);
      if (constraint === 'users_hash_key' && attempt < 5) continue;
      if (constraint === 'teams_slug_key') throw new ConflictError(`The slug "${slug}" is taken: choose another.`, { slug: ['Already taken.'] });
      throw error;
    }
  }
}

export async function listMembers(ctx: UseCaseContext, user: CurrentUser, teamId: string): Promise<TeamMemberDto[]> {
  const team = await findTeam(ctx.db.manager, user, teamId);
  const rows = await ctx.db.query<{ user_id: string; github_username: string; role: TeamRole; created_at: Date }[]>(
    `SELECT tm.user_id, u.github_username, tm.role, tm.created_at FROM team_members tm JOIN users u ON u.id = tm.user_id
      WHERE tm.team_id = $1 ORDER BY lower(u.github_username)`,
    [team.id],
  );
  return rows.map((r) => ({ userId: r.user_id, githubUsername: r.github_username, role: r.role, since: r.created_at.toISOString() }));
}

/**
 * Locks the team's member rows (in one order: no deadlock between two changes) and reads
 * them: the acting member's role is the one under the lock, not the one of a moment ago.
 */
async function lockedMembers(manager: EntityManager, actor: CurrentUser, teamId: string) {
  const team = await findTeam(manager, actor, teamId);
  const members = await manager.query<{ user_id: string; role: TeamRole }[]>(
    `SELECT user_id, role FROM team_members WHERE team_id = $1 ORDER BY user_id FOR UPDATE`,
    [team.id],
  );
  const actorRole = members.find((m) => m.user_id === actor.id)?.role;
  if (actorRole === undefined) throw new NotFoundError('Team');
  return { team, members, actorRole, owners: members.filter((m) => m.role === 'owner').length };
}

function requireOwner(role: TeamRole, what: string): void {
  if (role !== 'owner') throw new ForbiddenError(`Your role on this team is ${role}: ${what} needs owner.`, 'role_forbidden');
}

/** Changes a member's role (owners only). The last owner cannot be demoted, by themselves or anyone. */
export async function changeMemberRole(
  ctx: UseCaseContext,
  actor: CurrentUser,
  teamId: string,
  userId: string,
  input: unknown,
): Promise<TeamMemberDto> {
  await findTeam(ctx.db.manager, actor, teamId); // another team is a 404 before any input is read
  const { role } = parseInput(changeRoleSchema, input);
  await ctx.db.transaction(async (manager) => {
    const { team, members, actorRole, owners } = await lockedMembers(manager, actor, teamId);
    requireOwner(actorRole, 'changing roles');
    const target = members.find((m) => m.user_id === userId);
    if (!target) throw new NotFoundError('Member');
    if (target.role === 'owner' && role !== 'owner' && owners <= 1) {
      throw new ConflictError('This is the last owner of the team: make another member an owner first.', { role: ['The team needs an owner.'] });
    }
    await manager.query(`UPDATE team_members SET role = $3 WHERE team_id = $1 AND user_id = $2`, [team.id, userId, role]);
    await recordTeamActivity(manager, actor, { teamId: team.id, action: 'member.role', subject: `${userId} ${target.role} → ${role}` });
  });
  // Below maintainer, the repository bindings they proved are proven again or cleared.
  recheckProofsAfter(ctx, { provenBy: userId });
  const member = (await listMembers(ctx, actor, teamId)).find((m) => m.userId === userId);
  if (!member) throw new NotFoundError('Member');
  return member;
}

/**
 * Removes a member (an owner removes anyone; anyone may leave). The last owner cannot
 * leave nor be removed. Their streams of the team's projects end at once (`removed`), and
 * a request of theirs under way is refused where it writes (the policy, under a lock).
 */
export async function removeMember(
  ctx: UseCaseContext,
  actor: CurrentUser,
  teamId: string,
  userId: string,
  removed?: MemberRemoved,
): Promise<void> {
  const accountId = await ctx.db.transaction(async (manager) => {
    const { team, members, actorRole, owners } = await lockedMembers(manager, actor, teamId);
    if (userId !== actor.id) requireOwner(actorRole, 'removing a member');
    const target = members.find((m) => m.user_id === userId);
    if (!target) throw new NotFoundError('Member');
    if (target.role === 'owner' && owners <= 1) {
      throw new ConflictError('This is the last owner of the team: make another member an owner first.');
    }
    await manager.query(`DELETE FROM team_members WHERE team_id = $1 AND user_id = $2`, [team.id, userId]);
    await manager.query(
      `DELETE FROM project_members WHERE user_id = $1 AND project_id IN (SELECT id FROM projects WHERE user_id = $2)`,
      [userId, team.account_id],
    );
    await recordTeamActivity(manager, actor, { teamId: team.id, action: 'member.remove', subject: userId });
    return team.account_id;
  });
  removed?.(userId, accountId);
  // The repository bindings they proved on the team's services: proven again by another member, or cleared.
  recheckProofsAfter(ctx, { provenBy: userId });
}
