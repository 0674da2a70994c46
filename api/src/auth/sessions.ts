import { createHmac, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { SessionEntity, type User } from '../db/entities/index.js';

/** The signed-in user as a request sees it, with the version of their project list. */
export type SessionUser = Pick<User, 'id' | 'githubUsername' | 'hash'> & { listVersion: string };

/**
 * Server-side sessions (docs/architecture.md#security-model): the cookie holds a random token,
 * the database holds only its HMAC, so logout (deleting the row) revokes it
 * everywhere and a copy of the table cannot be replayed.
 */
export class SessionStore {
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
      `SELECT u.id, u.github_username AS "githubUsername", u.hash, u.list_version::text AS "listVersion"
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND s.expires_at > now()`,
      [this.hash(token)],
    );
    return rows[0];
  }

  async revoke(token: string): Promise<void> {
    await this.db.getRepository(SessionEntity).delete({ tokenHash: this.hash(token) });
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
