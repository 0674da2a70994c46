/**
 * Invitations to a team (issue 36): by GitHub login, or as a link anyone signed in may
 * use. Either way a secret token, shown once and stored as its SHA-256, expiring, usable
 * once. Accepting needs a session, so the platform's sign-in policy (the allowlist, an
 * admin's approval) applies before any invitation counts: an invitation lets no one in,
 * unless a platform admin marked one by login `admitOutsideAllowlist` (invitation-admission.ts).
 * One by login is accepted only by the account signed in with that login, whose numeric
 * GitHub id (the account's) is what the membership then names, whatever the login later.
 */
import { createHash, randomBytes } from 'node:crypto';
import { acceptInvitationSchema, createInvitationSchema, type InvitationDto, type TeamDto } from '@dangus/common';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { parseInput } from './validate.js';
import { findTeam, getTeam } from './teams.js';
import { recordTeamActivity } from './activity-log.js';

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/** A new invitation (owners only); its token is in this answer alone. */
export async function createInvitation(ctx: UseCaseContext, actor: CurrentUser, teamId: string, input: unknown): Promise<InvitationDto> {
  await findTeam(ctx.db.manager, actor, teamId); // another team is a 404 before any input is read
  const { role, githubLogin, expiresInHours, admitOutsideAllowlist } = parseInput(createInvitationSchema, input);
  if (admitOutsideAllowlist && actor.role !== 'admin') {
    throw new ForbiddenError('Only a platform admin may let an invitation admit someone outside the sign-in allowlist.', 'admin_only');
  }
  if (admitOutsideAllowlist && githubLogin === undefined) {
    throw new ValidationError('Only an invitation by GitHub login can admit someone outside the sign-in allowlist.', { admitOutsideAllowlist: ['Needs a GitHub login.'] });
  }
  const token = randomBytes(32).toString('base64url');
  const row = await ctx.db.transaction(async (manager) => {
    const team = await findTeam(manager, actor, teamId);
    if (team.role !== 'owner') throw new ForbiddenError(`Your role on this team is ${team.role}: inviting needs owner.`, 'role_forbidden');
    const [saved] = await manager.query<{ id: string; expires_at: Date }[]>(
      `INSERT INTO team_invitations (team_id, role, github_login, token_hash, created_by, expires_at, admits_outside_allowlist)
       VALUES ($1, $2, $3, $4, $5, now() + make_interval(hours => $6), $7) RETURNING id, expires_at`,
      [team.id, role, githubLogin ?? null, tokenHash(token), actor.id, expiresInHours, admitOutsideAllowlist],
    );
    await recordTeamActivity(manager, actor, { teamId: team.id, action: 'invitation.create', subject: `${githubLogin ?? 'link'} as ${role}${admitOutsideAllowlist ? ', admitted past the allowlist' : ''}` });
    return saved;
  });
  if (!row) throw new Error('The invitation was not stored.');
  return { id: row.id, role, githubLogin: githubLogin ?? null, expiresAt: row.expires_at.toISOString(), admitOutsideAllowlist, token };
}

/** Accepts an invitation: the signed-in user becomes a member with its role. */
export async function acceptInvitation(ctx: UseCaseContext, user: CurrentUser, input: unknown): Promise<TeamDto> {
  const { token } = parseInput(acceptInvitationSchema, input);
  const teamId = await ctx.db.transaction(async (manager) => {
    const [inv] = await manager.query<{ id: string; team_id: string; role: string; github_login: string | null; expired: boolean; used_at: Date | null; admits: boolean }[]>(
      `SELECT id, team_id, role, github_login, expires_at <= now() AS expired, used_at, admits_outside_allowlist AS admits FROM team_invitations WHERE token_hash = $1 FOR UPDATE`,
      [tokenHash(token)],
    );
    // Another login's invitation is not found either: it says nothing about the team.
    if (!inv || (inv.github_login !== null && inv.github_login.toLowerCase() !== user.githubUsername.toLowerCase())) {
      throw new NotFoundError('Invitation');
    }
    if (inv.used_at !== null) throw new ConflictError('This invitation was used already: ask for a new one.', { token: ['Already used.'] });
    if (inv.expired) throw new ConflictError('This invitation has expired: ask for a new one.', { token: ['Expired.'] });
    const inserted = await manager.query<unknown[]>(
      `INSERT INTO team_members (team_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING user_id`,
      [inv.team_id, user.id, inv.role],
    );
    if (inserted.length === 0) throw new ConflictError('You are a member of this team already.');
    await manager.query(`UPDATE team_invitations SET used_at = now(), used_by = $2 WHERE id = $1`, [inv.id, user.id]);
    // An admin's invitation past the allowlist, accepted by this account (its GitHub id): let in from now on.
    if (inv.admits) await manager.query(`UPDATE users SET approved = true WHERE id = $1`, [user.id]);
    await recordTeamActivity(manager, user, { teamId: inv.team_id, action: 'invitation.accept', subject: `joined as ${inv.role}` });
    return inv.team_id;
  });
  return getTeam(ctx, user, teamId);
}
