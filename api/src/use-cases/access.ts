import type { AccessRequestDto, AdminUserDto } from '@dangus/common';
import { admittedByInvitation } from './invitation-admission.js';
import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import type { AccessPolicy } from '../config/config.js';
import type { Encryptor } from '../crypto/encryption.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { deleteProject } from './projects.js';
import { randomUserHash } from './users.js';
import { isUuid, uniqueViolation } from './validate.js';
import { recheckProofsAfter } from './binding-triggers.js';
import type { UserTokenExpiry } from '../auth/github-oauth.js';

/** Who signed in with GitHub, before the policy says whether they may. */
export interface SignInIdentity {
  githubId: string;
  login: string;
  avatarUrl: string | null;
  accessToken: string;
  /** A token of the OAuth app (`repo` scope) or a user token of the GitHub App; oauth when absent. */
  tokenKind?: 'oauth' | 'app';
  /** An expiring App user token's refresh token and expiries (github/user-tokens.ts); none: it does not expire. */
  refresh?: UserTokenExpiry | undefined;
}

export type Admission = { admitted: true; userId: string } | { admitted: false; reason: string };

/** Serializes sign-ins, so that two first sign-ins of a fresh install do not both become the admin. */
const SIGN_IN_LOCK = 0x64616e67; // "dang"

/** The setting that lists this lower-cased login, if one does: its first sign-in pins it. */
function listingSetting(policy: AccessPolicy, login: string): 'ADMIN_GITHUB_USERS' | 'ALLOWED_GITHUB_USERS' | null {
  if (policy.admins.has(login)) return 'ADMIN_GITHUB_USERS';
  if (policy.allowedUsers !== 'anyone' && policy.allowedUsers.has(login)) return 'ALLOWED_GITHUB_USERS';
  return null;
}

/** What ADMIN_GITHUB_USERS and ALLOWED_GITHUB_USERS say of one account. */
export interface Naming {
  admin: boolean;
  listed: boolean;
  /** Why the account is refused: its login is listed, but pinned to another account. */
  conflict: string | null;
}

/**
 * What the settings say of one account (pure). An `id:NNN` entry names its account
 * whatever its login. A login entry names the account the login was pinned to at
 * its first sign-in (`pinnedId`): GitHub hands a renamed or deleted account's login
 * to whoever asks for it next, and that account is refused, with what an admin can do.
 */
export function namedBy(policy: AccessPolicy, identity: { githubId: string; login: string }, pinnedId: string | undefined): Naming {
  const login = identity.login.toLowerCase();
  const id = `id:${identity.githubId}`;
  const ownsLogin = pinnedId === undefined || pinnedId === identity.githubId;
  const names = (entries: Set<string> | 'anyone') => entries === 'anyone' || entries.has(id) || (ownsLogin && entries.has(login));
  const byId = policy.admins.has(id) || (policy.allowedUsers !== 'anyone' && policy.allowedUsers.has(id));
  const setting = listingSetting(policy, login);
  const conflict =
    !ownsLogin && !byId && setting !== null
      ? `The login ${login} was first used by GitHub account #${pinnedId}; this account is #${identity.githubId}. ` +
        `If this account should have that access, an admin replaces ${login} by id:${identity.githubId} in ${setting}.`
      : null;
  return { admin: names(policy.admins), listed: names(policy.allowedUsers), conflict };
}

/**
 * The sign-in policy, checked at every sign-in (pure): admins always; a blocked
 * user never; else a user an admin let in, a listed account, a member of a listed
 * organization, or, when nothing is listed, the first person of a fresh install
 * (who becomes the admin).
 */
export function decideSignIn(input: {
  login: string;
  policy: AccessPolicy;
  naming: Pick<Naming, 'admin' | 'listed'>;
  existing: { status: 'active' | 'blocked'; approved: boolean; role: 'admin' | 'member' } | undefined;
  requestAllowed: boolean;
  orgMember: boolean;
  adminExists: boolean;
  /** An open invitation an admin marked as admitting this login past the allowlist (invitation-admission.ts). */
  invitedByAdmin?: boolean;
}): { admitted: true; role: 'admin' | 'member'; approved: boolean } | { admitted: false; reason: string } {
  const { policy, naming, existing } = input;
  if (naming.admin) return { admitted: true, role: 'admin', approved: true };
  if (existing?.status === 'blocked') return { admitted: false, reason: `@${input.login} is blocked on this platform: ask its admin` };
  if (existing?.approved || input.requestAllowed) return { admitted: true, role: existing?.role ?? 'member', approved: true };
  // An admin's invitation admits while it is open, not for good: accepting it approves the
  // account (team-invitations.ts); one left unaccepted until it expires admits no more.
  if (naming.listed || input.orgMember || input.invitedByAdmin === true) return { admitted: true, role: existing?.role ?? 'member', approved: false };
  const nothingListed = policy.allowedUsers !== 'anyone' && policy.allowedUsers.size === 0 && policy.allowedOrgs.length === 0;
  if (nothingListed && !input.adminExists) return { admitted: true, role: 'admin', approved: true };
  return { admitted: false, reason: `@${input.login} is not allowed on this platform: ask its admin` };
}

/**
 * Signs a GitHub identity in under the policy: the user row is created or
 * updated only when admitted; a refused person leaves an access request for the
 * admins (and no user row, no session). `orgMember` asks GitHub; when it cannot
 * answer, the sign-in is refused with a message, never let through.
 */
export async function admitSignIn(
  deps: { db: DataSource; encryptor: Encryptor },
  policy: AccessPolicy,
  identity: SignInIdentity,
  orgMember: (org: string) => Promise<boolean>,
): Promise<Admission> {
  let member = false;
  const named = namedBy(policy, identity, undefined);
  if (!named.listed && !named.admin) {
    for (const org of policy.allowedOrgs) {
      try {
        if (await orgMember(org)) {
          member = true;
          break;
        }
      } catch {
        return { admitted: false, reason: `GitHub could not confirm your membership of ${org} right now: try again in a minute` };
      }
    }
  }
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await deps.db.transaction((manager) => admitIn(manager, deps.encryptor, policy, identity, member));
    } catch (error) {
      // A new user's random hash taken by someone else: try another.
      if (uniqueViolation(error) === 'users_hash_key' && attempt < 5) continue;
      throw error;
    }
  }
}

async function admitIn(manager: EntityManager, encryptor: Encryptor, policy: AccessPolicy, identity: SignInIdentity, orgMember: boolean): Promise<Admission> {
  await manager.query(`SELECT pg_advisory_xact_lock($1)`, [SIGN_IN_LOCK]);
  const login = identity.login.toLowerCase();
  const pinnedId = listingSetting(policy, login) === null ? undefined : await pinLogin(manager, login, identity.githubId);
  const naming = namedBy(policy, identity, pinnedId);
  if (naming.conflict !== null) return { admitted: false, reason: naming.conflict };
  const [existing] = await manager.query<{ id: string; status: 'active' | 'blocked'; approved: boolean; role: 'admin' | 'member' }[]>(
    `SELECT id, status, approved, role FROM users WHERE github_id = $1`,
    [identity.githubId],
  );
  const [request] = await manager.query<{ status: string }[]>(`SELECT status FROM access_requests WHERE github_id = $1`, [identity.githubId]);
  const [admins] = await manager.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM users WHERE role = 'admin' AND status = 'active'`);
  const decision = decideSignIn({
    login: identity.login,
    policy,
    naming,
    existing,
    requestAllowed: request?.status === 'allowed',
    orgMember,
    adminExists: (admins?.n ?? 0) > 0,
    invitedByAdmin: await admittedByInvitation(manager, identity.login),
  });
  if (!decision.admitted) {
    if (!existing || existing.status !== 'blocked') {
      await manager.query(
        `INSERT INTO access_requests (github_id, login, avatar_url) VALUES ($1, $2, $3)
         ON CONFLICT (github_id) DO UPDATE SET login = excluded.login, avatar_url = excluded.avatar_url, status = 'pending', requested_at = now()`,
        [identity.githubId, identity.login, identity.avatarUrl],
      );
    }
    return decision;
  }
  const token = encryptor.encrypt(identity.accessToken);
  const [row] = await manager.query<{ id: string }[]>(
    `INSERT INTO users (github_id, github_username, github_access_token, hash, role, approved, avatar_url, last_sign_in_at, github_token_kind,
                        github_refresh_token, github_token_expires_at, github_refresh_token_expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now(), $9, $10, $11, $12)
     ON CONFLICT (github_id) DO UPDATE SET github_username = excluded.github_username, github_access_token = excluded.github_access_token,
       github_token_kind = excluded.github_token_kind, github_refresh_token = excluded.github_refresh_token,
       github_token_expires_at = excluded.github_token_expires_at, github_refresh_token_expires_at = excluded.github_refresh_token_expires_at,
       role = excluded.role, approved = users.approved OR excluded.approved, avatar_url = excluded.avatar_url, last_sign_in_at = now(), updated_at = now(),
       -- ADMIN_GITHUB_USERS are always allowed: a block in the UI does not outlast the setting.
       status = CASE WHEN $8 THEN 'active' ELSE users.status END
     RETURNING id`,
    [identity.githubId, identity.login, token, randomUserHash(), decision.role, decision.approved, identity.avatarUrl, naming.admin, identity.tokenKind ?? 'oauth',
     identity.refresh ? encryptor.encrypt(identity.refresh.refreshToken) : null, identity.refresh?.expiresAt ?? null, identity.refresh?.refreshTokenExpiresAt ?? null],
  );
  if (request) await manager.query(`DELETE FROM access_requests WHERE github_id = $1`, [identity.githubId]);
  if (!row) throw new Error('the user row was not written');
  return { admitted: true, userId: row.id };
}

/**
 * The account a listed login is pinned to: the first that used it here, which is
 * the oldest user row with that login (from before it was listed, or before pins
 * existed), else this one. A team's account (its slug in `github_username`) is no one's login.
 */
async function pinLogin(manager: EntityManager, login: string, githubId: string): Promise<string> {
  await manager.query(
    `INSERT INTO github_login_pins (login, github_id)
     SELECT $1::text, coalesce((SELECT github_id FROM users WHERE lower(github_username) = $1::text AND kind = 'person' ORDER BY created_at LIMIT 1), $2::bigint)
     ON CONFLICT (login) DO NOTHING`,
    [login, githubId],
  );
  const [pin] = await manager.query<{ github_id: string }[]>(`SELECT github_id::text AS github_id FROM github_login_pins WHERE login = $1`, [login]);
  if (!pin) throw new Error(`the login ${login} was not pinned`);
  return pin.github_id;
}

/** The embedded default's local user: an admin (it exists only where only this machine can sign in). */
export async function admitLocalUser(deps: { db: DataSource; encryptor: Encryptor }, githubId: string): Promise<string> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const [row] = await deps.db.query<{ id: string }[]>(
        `INSERT INTO users (github_id, github_username, github_access_token, hash, role, approved, last_sign_in_at)
         VALUES ($1, 'local', $2, $3, 'admin', true, now())
         ON CONFLICT (github_id) DO UPDATE SET role = 'admin', status = 'active', last_sign_in_at = now()
         RETURNING id`,
        [githubId, deps.encryptor.encrypt(''), randomUserHash()],
      );
      if (!row) throw new Error('the local user was not written');
      return row.id;
    } catch (error) {
      if (uniqueViolation(error) === 'users_hash_key' && attempt < 5) continue;
      throw error;
    }
  }
}

/**
 * At start-up, after a change of the settings: users the policy no longer lets
 * in lose their sessions (admins and users an admin let in keep theirs; with
 * organizations listed, membership is checked at the next sign-in instead). A
 * listed login names only the account it is pinned to, as in namedBy.
 */
export async function endSessionsOutsidePolicy(db: DataSource, policy: AccessPolicy): Promise<number> {
  if (policy.allowedUsers === 'anyone' || policy.allowedOrgs.length > 0) return 0;
  const rows: { n: number }[] = await db.query(
    `WITH ended AS (
       DELETE FROM sessions s USING users u
        WHERE s.user_id = u.id AND u.role <> 'admin' AND NOT u.approved
          AND NOT ('id:' || u.github_id = ANY($1))
          AND NOT (lower(u.github_username) = ANY($1) AND NOT EXISTS (
                SELECT 1 FROM github_login_pins p WHERE p.login = lower(u.github_username) AND p.github_id <> u.github_id))
       RETURNING 1)
     SELECT count(*)::int AS n FROM ended`,
    [[...policy.allowedUsers, ...policy.admins]],
  );
  return rows[0]?.n ?? 0;
}

// --- the admins' Users page -------------------------------------------------------

/** Every user for the Users page, or just `onlyId`. */
export async function listUsers(ctx: UseCaseContext, onlyId?: string): Promise<AdminUserDto[]> {
  const rows: {
    id: string;
    github_username: string;
    avatar_url: string | null;
    role: 'admin' | 'member';
    status: 'active' | 'blocked';
    last_sign_in_at: Date | null;
    created_at: Date;
    projects: number;
    github_id: string;
    pinned_logins: string[];
  }[] = await ctx.db.query(
    `SELECT u.id, u.github_username, u.avatar_url, u.role, u.status, u.last_sign_in_at, u.created_at,
            (SELECT count(*)::int FROM projects p WHERE p.user_id = u.id) AS projects,
            u.github_id::text AS github_id,
            array(SELECT p.login FROM github_login_pins p WHERE p.github_id = u.github_id ORDER BY p.login) AS pinned_logins
       FROM users u WHERE u.kind = 'person' AND ($1::uuid IS NULL OR u.id = $1::uuid) ORDER BY u.role, lower(u.github_username)`,
    [onlyId ?? null],
  );
  return rows.map((r) => ({
    id: r.id,
    githubUsername: r.github_username,
    avatarUrl: r.avatar_url,
    role: r.role,
    status: r.status,
    lastSignInAt: r.last_sign_in_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    projects: r.projects,
    githubId: r.github_id,
    pinnedLogins: r.pinned_logins,
  }));
}

export async function listAccessRequests(ctx: UseCaseContext): Promise<AccessRequestDto[]> {
  const rows: { id: string; login: string; avatar_url: string | null; requested_at: Date }[] = await ctx.db.query(
    `SELECT id, login, avatar_url, requested_at FROM access_requests WHERE status = 'pending' ORDER BY requested_at DESC LIMIT 200`,
  );
  return rows.map((r) => ({ id: r.id, login: r.login, avatarUrl: r.avatar_url, requestedAt: r.requested_at.toISOString() }));
}

/**
 * Every admin action takes effect only if its actor is still an active admin when it
 * commits: the request's session check came earlier, and the actor may have been
 * demoted or blocked since. Locks the actor's row in the action's transaction, so a
 * demotion waits for the action or the action sees the demotion. In a transaction
 * that locks the admins, call it after that lock (one lock order).
 */
async function requireActiveAdmin(manager: EntityManager, actor: CurrentUser): Promise<void> {
  const rows = await manager.query<unknown[]>(`SELECT 1 FROM users WHERE id = $1 AND role = 'admin' AND status = 'active' FOR SHARE`, [actor.id]);
  if (rows.length === 0) throw new ForbiddenError('You are no longer an admin of the platform: nothing was changed.', 'admin_only');
}

/** Allows (their next sign-in gets in) or dismisses a pending request. */
export async function answerAccessRequest(ctx: UseCaseContext, actor: CurrentUser, requestId: string, answer: 'allowed' | 'dismissed'): Promise<void> {
  if (!isUuid(requestId)) throw new NotFoundError('Access request');
  await ctx.db.transaction(async (manager) => {
    await requireActiveAdmin(manager, actor);
    const result: [unknown[], number] = await manager.query(`UPDATE access_requests SET status = $2 WHERE id = $1 AND status = 'pending'`, [requestId, answer]);
    if (result[1] !== 1) throw new NotFoundError('Access request');
  });
}

export type UserAction = 'block' | 'unblock' | 'promote' | 'demote';

/**
 * Blocks, unblocks, promotes or demotes a user. The last active admin can be
 * neither blocked nor demoted, also when two admins try at once: the admins are
 * locked while one change is decided, and the actor must still be one of them. A
 * blocked user loses every session at once.
 */
export async function changeUser(ctx: UseCaseContext, actor: CurrentUser, userId: string, action: UserAction, revoke: (userId: string) => Promise<unknown>): Promise<AdminUserDto> {
  if (!isUuid(userId)) throw new NotFoundError('User');
  await ctx.db.transaction(async (manager) => {
    const admins = await manager.query<{ id: string }[]>(`SELECT id FROM users WHERE role = 'admin' AND status = 'active' ORDER BY id FOR UPDATE`);
    await requireActiveAdmin(manager, actor);
    const [target] = await manager.query<{ id: string; role: string; status: string }[]>(`SELECT id, role, status FROM users WHERE id = $1 FOR UPDATE`, [userId]);
    if (!target) throw new NotFoundError('User');
    const losesAnAdmin = (action === 'block' || action === 'demote') && target.role === 'admin' && target.status === 'active';
    if (losesAnAdmin && admins.length <= 1) {
      throw new ConflictError('This is the last admin of the platform: promote another user first.');
    }
    const set = {
      block: `status = 'blocked'`,
      unblock: `status = 'active', approved = true`,
      promote: `role = 'admin', approved = true`,
      demote: `role = 'member'`,
    }[action];
    await manager.query(`UPDATE users SET ${set}, updated_at = now() WHERE id = $1`, [userId]);
  });
  if (action === 'block') {
    await revoke(userId);
    // The repository bindings they proved: proven again by another member, or cleared.
    recheckProofsAfter(ctx, { provenBy: userId });
  }
  ctx.logger.info({ actor: actor.githubUsername, userId, action }, 'user changed by an admin');
  const [user] = await listUsers(ctx, userId);
  if (!user) throw new NotFoundError('User');
  return user;
}

/**
 * Removes a user. Their projects go too, each through its commit (the namespace
 * is pruned, the registry robot deleted), but only when asked: otherwise a user
 * with projects is a 409. The user is blocked first, and that is committed before
 * their projects are listed: a project creation checks its owner is active in its
 * own transaction (projects.ts), so none can appear after the list and vanish by
 * cascade with the user row.
 */
export async function removeUser(ctx: UseCaseContext, actor: CurrentUser, userId: string, deleteProjects: boolean, revoke: (userId: string) => Promise<unknown>): Promise<void> {
  if (!isUuid(userId)) throw new NotFoundError('User');
  const [target] = await ctx.db.query<{ id: string; github_username: string; hash: string; role: 'admin' | 'member' }[]>(
    `SELECT id, github_username, hash, role FROM users WHERE id = $1`,
    [userId],
  );
  if (!target) throw new NotFoundError('User');
  const projectsOf = () => ctx.db.query<{ id: string }[]>(`SELECT id FROM projects WHERE user_id = $1 ORDER BY created_at`, [userId]);
  const refuseOwner = (count: number) => {
    if (count > 0 && !deleteProjects) {
      throw new ConflictError(`@${target.github_username} owns ${String(count)} project(s): remove them too, or block the user instead.`);
    }
  };
  refuseOwner((await projectsOf()).length);
  // Guards the last admin, and keeps the user from signing in and from creating projects.
  await changeUser(ctx, actor, userId, 'block', revoke);
  const projects = await projectsOf();
  refuseOwner(projects.length); // made between the first count and the block: the user stays blocked
  const owner: CurrentUser = { id: target.id, githubUsername: target.github_username, hash: target.hash, role: target.role };
  for (const project of projects) await deleteProject(ctx, owner, project.id);
  await ctx.db.transaction(async (manager) => {
    await requireActiveAdmin(manager, actor);
    // The bindings they proved lose their prover (ON DELETE SET NULL) and their proof's date: due
    // at once, with no grace (github/binding-recheck.ts); the block's re-check, reading the row
    // again when its write finds it changed, or the next pass, proves them again or clears them.
    await manager.query(`UPDATE services SET repository_proven_at = NULL WHERE repository_proven_by = $1`, [userId]);
    await manager.query(`DELETE FROM users WHERE id = $1`, [userId]);
  });
  ctx.logger.info({ actor: actor.githubUsername, userId, projects: projects.length }, 'user removed by an admin');
}

/** `DELETE /api/admin/users/{userId}`' query: `?deleteProjects=true|false`. */
export const removeUserQuerySchema = z.object({
  deleteProjects: z.enum(['true', 'false']).optional().describe('`true` deletes the user\'s projects (their namespaces and everything in them) with the user; without it, a user who has projects is refused (409).'),
});

export function parseDeleteProjects(value: unknown): boolean {
  const parsed = removeUserQuerySchema.shape.deleteProjects.safeParse(value);
  if (parsed.success) return parsed.data === 'true';
  throw new ValidationError('deleteProjects must be true or false.', { deleteProjects: ['Either true or false.'] });
}
