import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Encryptor } from '../crypto/encryption.js';
import type { UserTokenExpiry } from './github-oauth.js';

/**
 * First-run setup of an installed platform. The installer generates a random token, prints
 * `{PUBLIC_URL}/setup?token=…` once, and hands the api only its SHA-256
 * (SETUP_TOKEN_SHA256, with SETUP_TOKEN_EXPIRES_AT). While the setup is pending (a token
 * is configured, none was used, no admin exists) nobody can sign in; the person holding
 * the link claims it once, before it expires, and becomes the admin: a setup account
 * (GITHUB id SETUP_GITHUB_ID) with a session, which connects GitHub and then becomes the
 * GitHub account it first signs in with. After that, every setup link is dead.
 *
 * Installed, the hash is read at request time from the mounted Secret dangus-setup
 * (SETUP_TOKEN_DIR, auth/setup-token-file.ts): a re-run of the installer prints a link
 * that works at once, and the api seeing a new hash kills every older unused link
 * (`replaced`).
 */

/** GitHub ids start at 1, the local user is 0: the setup admin until it signs in with GitHub. */
export const SETUP_GITHUB_ID = '-1';

/** How long a printed link lives when the installer does not say. */
export const SETUP_TOKEN_DEFAULT_HOURS = 24;

export type SetupTokenState = 'ready' | 'used' | 'expired' | 'replaced' | 'unknown' | 'done';

export interface SetupTokenSettings {
  sha256: string;
  /** Undefined: SETUP_TOKEN_DEFAULT_HOURS after the api first sees the hash. */
  expiresAt: Date | undefined;
}

export const SETUP_REFUSALS: Record<Exclude<SetupTokenState, 'ready'>, string> = {
  used: 'This setup link was already used: the platform has its admin. Sign in instead.',
  expired: 'This setup link has expired. Run bootstrap/install.sh again: it prints a new one.',
  replaced: 'A newer setup link replaced this one: open the link bootstrap/install.sh printed last.',
  unknown: 'This is not a setup link of this platform. Use the link the installer printed, or run bootstrap/install.sh again for a new one.',
  done: 'This platform is already set up: sign in instead.',
};

export const SETUP_PENDING_REFUSAL =
  'This platform is not set up yet: open the setup link the installer printed (bootstrap/install.sh prints a new one when run again).';

const hashOf = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export class FirstRunSetup {
  private complete = false;

  /**
   * `configured`: the hash the api started with (SETUP_TOKEN_SHA256); `read`, when given,
   * is asked at every request instead (the mounted Secret), so the newest link counts.
   */
  constructor(private readonly deps: { db: DataSource; configured: SetupTokenSettings | undefined; read?: () => Promise<SetupTokenSettings | undefined> }) {}

  /** Whether sign-in waits for the setup: a token is configured, none was used, and no admin exists. */
  async pending(): Promise<boolean> {
    if (this.complete) return false;
    const configured = this.deps.read ? await this.deps.read() : this.deps.configured;
    if (!configured) return false;
    await this.register(configured);
    const [row] = await this.deps.db.query<{ done: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM setup_tokens WHERE used_at IS NOT NULL)
           OR EXISTS (SELECT 1 FROM users WHERE role = 'admin' AND status = 'active') AS done`,
    );
    if (row?.done) this.complete = true;
    return !this.complete;
  }

  /** What a link's token is, changing nothing. */
  async check(token: string): Promise<SetupTokenState> {
    if (!(await this.pending())) return (await this.known(token)) ? 'used' : 'done';
    const [row] = await this.deps.db.query<{ used: boolean; expired: boolean; replaced: boolean }[]>(
      `SELECT used_at IS NOT NULL AS used, expires_at <= now() AS expired, replaced_at IS NOT NULL AS replaced FROM setup_tokens WHERE token_hash = $1`,
      [hashOf(token)],
    );
    return !row ? 'unknown' : row.used ? 'used' : row.replaced ? 'replaced' : row.expired ? 'expired' : 'ready';
  }

  /**
   * Claims the link: once, before it expires, while the setup is pending. The setup
   * admin's user id, or why not (and nothing changed).
   */
  async claim(token: string, encryptor: Encryptor, newHash: () => string): Promise<{ ok: true; userId: string } | { ok: false; state: Exclude<SetupTokenState, 'ready'> }> {
    if (!(await this.pending())) return { ok: false, state: (await this.known(token)) ? 'used' : 'done' };
    const outcome = await this.deps.db.transaction(async (manager) => {
      const [row] = await manager.query<{ used: boolean; expired: boolean; replaced: boolean }[]>(
        `SELECT used_at IS NOT NULL AS used, expires_at <= now() AS expired, replaced_at IS NOT NULL AS replaced FROM setup_tokens WHERE token_hash = $1 FOR UPDATE`,
        [hashOf(token)],
      );
      if (!row) return { ok: false as const, state: 'unknown' as const };
      if (row.used) return { ok: false as const, state: 'used' as const };
      if (row.replaced) return { ok: false as const, state: 'replaced' as const };
      if (row.expired) return { ok: false as const, state: 'expired' as const };
      // Another link claimed meanwhile (two links of two installer runs): this one is dead too.
      const [other] = await manager.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM setup_tokens WHERE used_at IS NOT NULL`);
      if ((other?.n ?? 0) > 0) return { ok: false as const, state: 'done' as const };
      const [user] = await manager.query<{ id: string }[]>(
        `INSERT INTO users (github_id, github_username, github_access_token, hash, role, approved, last_sign_in_at)
         VALUES ($1, 'setup-admin', $2, $3, 'admin', true, now())
         ON CONFLICT (github_id) DO UPDATE SET role = 'admin', status = 'active', last_sign_in_at = now()
         RETURNING id`,
        [SETUP_GITHUB_ID, encryptor.encrypt(''), newHash()],
      );
      if (!user) throw new Error('the setup admin was not written');
      await manager.query(`UPDATE setup_tokens SET used_at = now(), used_by = $2 WHERE token_hash = $1`, [hashOf(token), user.id]);
      return { ok: true as const, userId: user.id };
    });
    if (outcome.ok) this.complete = true;
    return outcome;
  }

  private async known(token: string): Promise<boolean> {
    const rows = await this.deps.db.query<unknown[]>(`SELECT 1 FROM setup_tokens WHERE token_hash = $1`, [hashOf(token)]);
    return rows.length > 0;
  }

  /**
   * The configured token's hash, recorded once with its expiry (a restart changes
   * nothing). A hash seen for the first time is the installer's newest link: every older
   * unused one is replaced, dead from now on. A hash seen before (an api that still reads
   * an older Secret) revives nothing.
   */
  private async register(configured: SetupTokenSettings): Promise<void> {
    await this.deps.db.transaction(async (manager) => {
      const inserted = await manager.query<unknown[]>(
        `INSERT INTO setup_tokens (token_hash, expires_at) VALUES ($1, coalesce($2::timestamptz, now() + make_interval(hours => $3)))
         ON CONFLICT (token_hash) DO NOTHING RETURNING token_hash`,
        [configured.sha256, configured.expiresAt?.toISOString() ?? null, SETUP_TOKEN_DEFAULT_HOURS],
      );
      if (inserted.length > 0) {
        await manager.query(`UPDATE setup_tokens SET replaced_at = now() WHERE token_hash <> $1 AND used_at IS NULL AND replaced_at IS NULL`, [configured.sha256]);
      }
    });
  }
}

/**
 * The setup admin signs in with GitHub for the first time: it becomes that GitHub account
 * (its projects kept), or, when that account is already a user, that user becomes an admin.
 * The user id to open a session for.
 */
export async function adoptSetupAdmin(
  db: DataSource,
  encryptor: Encryptor,
  setupUserId: string,
  identity: { githubId: string; login: string; avatarUrl: string | null; accessToken: string; tokenKind: 'oauth' | 'app'; refresh?: UserTokenExpiry | undefined },
): Promise<string> {
  return db.transaction(async (manager) => {
    const [existing] = await manager.query<{ id: string }[]>(`SELECT id FROM users WHERE github_id = $1`, [identity.githubId]);
    if (existing) {
      await manager.query(`UPDATE users SET role = 'admin', status = 'active', approved = true, last_sign_in_at = now() WHERE id = $1`, [existing.id]);
      // The setup account ends here: that user is the admin now. Blocked (kept, with
      // whatever it made, for an admin to see), never an admin again, signed out.
      await manager.query(`UPDATE users SET role = 'member', status = 'blocked', updated_at = now() WHERE id = $1 AND github_id = $2`, [setupUserId, SETUP_GITHUB_ID]);
      await manager.query(`DELETE FROM sessions WHERE user_id = $1`, [setupUserId]);
      return existing.id;
    }
    await manager.query(
      `UPDATE users SET github_id = $2, github_username = $3, github_access_token = $4, github_token_kind = $5, avatar_url = $6,
              github_refresh_token = $8, github_token_expires_at = $9, github_refresh_token_expires_at = $10, last_sign_in_at = now(), updated_at = now()
        WHERE id = $1 AND github_id = $7`,
      [setupUserId, identity.githubId, identity.login, encryptor.encrypt(identity.accessToken), identity.tokenKind, identity.avatarUrl, SETUP_GITHUB_ID,
       identity.refresh ? encryptor.encrypt(identity.refresh.refreshToken) : null, identity.refresh?.expiresAt ?? null, identity.refresh?.refreshTokenExpiresAt ?? null],
    );
    return setupUserId;
  });
}

/** Whether this user is the setup admin, not yet a GitHub account. */
export async function isSetupAdmin(db: DataSource, userId: string): Promise<boolean> {
  const rows = await db.query<unknown[]>(`SELECT 1 FROM users WHERE id = $1 AND github_id = $2`, [userId, SETUP_GITHUB_ID]);
  return rows.length > 0;
}
