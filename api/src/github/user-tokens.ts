import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import { expiryOf } from '../auth/github-oauth.js';
import { isGitHubAccount } from '../auth/local-sign-in.js';
import type { Encryptor } from '../crypto/encryption.js';
import type { GitHubApp } from './github-app.js';

/*
 * A member's GitHub App user token, refreshed when it expired (docs/architecture.md#github-app).
 * GitHub's App user tokens live 8 hours when the App expires them (GitHub's default) and come
 * with a refresh token (6 months) stored at sign-in, encrypted as the token
 * (`users.github_refresh_token`, `github_token_expires_at`, migration 1765590000000). An
 * expired one is refreshed before GitHub is asked on the member's behalf: `POST
 * {web}/login/oauth/access_token` with `grant_type=refresh_token` and the App's client
 * credentials; the refresh token rotates, so the new pair is stored at once, one refresh per
 * user at a time across processes (an advisory lock; the row read again under it), and
 * compare-and-set on the refresh token spent. GitHub's `bad_refresh_token` (spent, revoked,
 * expired) forgets the refresh token: the member must sign in again.
 */

/** A usable token; `unasked`: there is none (no App sign-in, a refresh GitHub refused: sign in again); `unknown`: GitHub did not answer the refresh (a 5xx, a timeout). */
export type UserToken = { token: string } | 'unasked' | 'unknown';

/** A token this close to its expiry is refreshed first (GitHub's clock and a slow request). */
const EXPIRY_MARGIN_MS = 5 * 60_000;

export interface UserTokenDeps {
  db: DataSource;
  encryptor: Encryptor;
  githubApp?: GitHubApp | undefined;
}

interface TokenRow {
  github_id: string;
  kind: string;
  token: string;
  refresh_token: string | null;
  expires_at: Date | null;
  refresh_expires_at: Date | null;
}

const refreshAnswer = z.union([
  z.object({
    access_token: z.string().min(1),
    refresh_token: z.string().min(1).optional(),
    expires_in: z.coerce.number().int().positive().optional(),
    refresh_token_expires_in: z.coerce.number().int().positive().optional(),
  }),
  z.object({ error: z.string() }),
]);

const refreshing = new Map<string, Promise<UserToken>>();

function decrypted(encryptor: Encryptor, value: string): string | null {
  try {
    return encryptor.decrypt(value);
  } catch {
    return null;
  }
}

async function tokenRow(db: Pick<EntityManager, 'query'>, userId: string): Promise<TokenRow | undefined> {
  const [row] = await db.query<TokenRow[]>(
    `SELECT github_id::text AS github_id, github_token_kind AS kind, github_access_token AS token, github_refresh_token AS refresh_token,
            github_token_expires_at AS expires_at, github_refresh_token_expires_at AS refresh_expires_at
       FROM users WHERE id = $1`,
    [userId],
  );
  return row;
}

/** The row's token when it is still fresh; `null` when it must be refreshed first. */
function freshToken(deps: UserTokenDeps, row: TokenRow | undefined): UserToken | null {
  if (!row || !isGitHubAccount(row.github_id) || row.kind !== 'app') return 'unasked';
  if (row.expires_at === null || row.expires_at.getTime() > Date.now() + EXPIRY_MARGIN_MS) {
    const token = decrypted(deps.encryptor, row.token);
    return token ? { token } : 'unasked';
  }
  if (row.refresh_token === null || (row.refresh_expires_at !== null && row.refresh_expires_at.getTime() <= Date.now())) return 'unasked';
  return null;
}

/** The App user token of `userId`, refreshed first when it expired (above). */
export async function userTokenFor(deps: UserTokenDeps, userId: string): Promise<UserToken> {
  const fresh = freshToken(deps, await tokenRow(deps.db, userId));
  if (fresh !== null) return fresh;
  const running = refreshing.get(userId);
  if (running) return running;
  const refresh = refreshUnderLock(deps, userId).finally(() => refreshing.delete(userId));
  refreshing.set(userId, refresh);
  return refresh;
}

/**
 * One refresh of a user's token across every process (api replicas, the leading controller):
 * GitHub spends a refresh token on use, so a second refresh with the same one would fail and
 * forget a token the first just stored. Under a transaction-scoped advisory lock, the row is
 * read again: a token another process refreshed meanwhile is used as it is.
 */
async function refreshUnderLock(deps: UserTokenDeps, userId: string): Promise<UserToken> {
  return deps.db.transaction(async (manager) => {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('github-user-token:' || $1, 0))`, [userId]);
    const row = await tokenRow(manager, userId);
    const fresh = freshToken(deps, row);
    if (fresh !== null || !row?.refresh_token) return fresh ?? 'unasked';
    return refreshUserToken(deps, manager, userId, row.refresh_token);
  });
}

async function refreshUserToken(deps: UserTokenDeps, db: Pick<EntityManager, 'query'>, userId: string, stored: string): Promise<UserToken> {
  const app = deps.githubApp;
  const credentials = await app?.credentials();
  const refreshToken = decrypted(deps.encryptor, stored);
  if (!app || !credentials || !refreshToken) return 'unasked';
  let body: unknown;
  try {
    const response = await fetch(`${app.webUrl}/login/oauth/access_token`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: credentials.clientId, client_secret: credentials.clientSecret, grant_type: 'refresh_token', refresh_token: refreshToken }),
      signal: AbortSignal.timeout(10_000),
    });
    // GitHub down or limiting: ask again later. Any other refusal is GitHub's answer: not asked.
    if (!response.ok) return response.status >= 500 || response.status === 429 ? 'unknown' : 'unasked';
    body = await response.json();
  } catch {
    return 'unknown';
  }
  const parsed = refreshAnswer.safeParse(body);
  if (!parsed.success) return 'unknown';
  if ('error' in parsed.data) {
    // Spent, revoked or expired: only a new sign-in gives a token again. Any other refusal (the
    // App's client replaced: `incorrect_client_credentials`) is GitHub's answer too: not asked,
    // so the binding's grace runs rather than an outage's "keep" for ever.
    if (parsed.data.error === 'bad_refresh_token') {
      await db.query(`UPDATE users SET github_refresh_token = NULL WHERE id = $1 AND github_refresh_token = $2`, [userId, stored]);
    }
    return 'unasked';
  }
  const expiry = expiryOf(parsed.data);
  await db.query(
    `UPDATE users SET github_access_token = $3, github_refresh_token = $4, github_token_expires_at = $5, github_refresh_token_expires_at = $6, updated_at = now()
      WHERE id = $1 AND github_refresh_token = $2`,
    [userId, stored, deps.encryptor.encrypt(parsed.data.access_token), expiry ? deps.encryptor.encrypt(expiry.refreshToken) : null, expiry?.expiresAt ?? null, expiry?.refreshTokenExpiresAt ?? null],
  );
  return { token: parsed.data.access_token };
}
