import { createHmac, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { SessionEntity, type User } from '../db/entities/index.js';

/** The signed-in user as a request sees it, with the version of their project list. */
export type SessionUser = Pick<User, 'id' | 'githubUsername' | 'hash' | 'role'> & { listVersion: string };

/**
 * Server-side sessions (docs/architecture.md#security-model): the cookie holds a random token,
 * the database holds only its HMAC, so logout (deleting the row) revokes it
 * everywhere and a copy of the table cannot be replayed.
 */
export class SessionStore {
  private readonly revokedListeners = new Map<string, Set<() => void>>();

  constructor(
    private readonly db: DataSource,
    private readonly secret: string,
    private readonly ttlMs: number,
  ) {}

  /** Creates a session for `userId` and returns the token for the cookie. */
  async create(userId: string): Promise<{ token: string; expiresAt: Date }> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.ttlMs);
    await this.db.getRepository(SessionEntity).insert({ userId, tokenHash: this.hash(token), expiresAt });
    return { token, expiresAt };
  }

  /** The user of a live session, or undefined for an unknown, revoked or expired token. */
  async findUser(token: string): Promise<SessionUser | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const rows = await this.db.query<SessionUser[]>(
      `SELECT u.id, u.github_username AS "githubUsername", u.hash, u.role, u.list_version::text AS "listVersion"
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND s.expires_at > now() AND u.status = 'active'`,
      [this.hash(token)],
    );
    return rows[0];
  }

  async revoke(token: string): Promise<void> {
    const tokenHash = this.hash(token);
    await this.db.getRepository(SessionEntity).delete({ tokenHash });
    for (const listener of this.revokedListeners.get(tokenHash) ?? []) listener();
  }

  /** Ends every session of a user (blocked, removed, or no longer allowed): their next request is a 401. */
  async revokeUser(userId: string): Promise<number> {
    // A DELETE … RETURNING answers [rows, count] through TypeORM.
    const [rows]: [{ token_hash: string }[], number] = await this.db.query(`DELETE FROM sessions WHERE user_id = $1 RETURNING token_hash`, [userId]);
    for (const row of rows) for (const listener of this.revokedListeners.get(row.token_hash) ?? []) listener();
    return rows.length;
  }

  /**
   * Calls `onEnd` when the session of `token` is revoked in this process, or is
   * found gone when checked every `checkMs` (revoked by another process, expired,
   * or its user removed). For long-lived responses (SSE) that must not outlive
   * their session. Returns the function that stops watching.
   */
  watch(token: string, onEnd: () => void, checkMs = 15_000): () => void {
    const tokenHash = this.hash(token);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      stop();
      onEnd();
    };
    const listeners = this.revokedListeners.get(tokenHash) ?? new Set();
    listeners.add(end);
    this.revokedListeners.set(tokenHash, listeners);
    const timer = setInterval(() => {
      this.findUser(token).then(
        (user) => {
          if (!user) end();
        },
        () => undefined, // the database is away: the next check decides
      );
    }, checkMs);
    timer.unref();
    const stop = () => {
      clearInterval(timer);
      listeners.delete(end);
      if (listeners.size === 0) this.revokedListeners.delete(tokenHash);
    };
    return stop;
  }

  /** Removes expired rows; called on a timer. */
  async purgeExpired(): Promise<number> {
    const result = await this.db.getRepository(SessionEntity).createQueryBuilder().delete().where('expires_at <= now()').execute();
    return result.affected ?? 0;
  }

  private hash(token: string): string {
    return createHmac('sha256', this.secret).update(token).digest('hex');
  }
}
