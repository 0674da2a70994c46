import { randomBytes } from 'node:crypto';

/**
 * A GitHub App's user tokens as GitHub issues them with "expire user authorization tokens"
 * on (GitHub's default for Apps): the access token (`ghu_`) lives 8 hours and comes with a
 * refresh token (`ghr_`, 6 months); `POST /login/oauth/access_token` with
 * `grant_type=refresh_token` gives a new pair, and the refresh token used is spent (it
 * rotates). A refresh token spent, expired or unknown is `bad_refresh_token` (200, as GitHub).
 */
export const USER_TOKEN_LIFETIME_S = 8 * 3600;
export const REFRESH_TOKEN_LIFETIME_S = 15_897_600;

export interface IssuedUserToken {
  access_token: string;
  token_type: 'bearer';
  scope: '';
  expires_in?: number;
  refresh_token?: string;
  refresh_token_expires_in?: number;
}

export class FakeUserTokens<User> {
  /** Whether the App's user tokens expire (GitHub's default); false: a token for good, no refresh token. */
  expire = true;
  /** Every refresh asked, in order: the refresh token given and whether it was taken. */
  readonly refreshes: { refreshToken: string; ok: boolean }[] = [];
  private readonly access = new Map<string, { clientId: string; expiresAt: number | null }>();
  private readonly refresh = new Map<string, { clientId: string; user: User; expiresAt: number }>();

  constructor(private readonly now: () => number) {}

  /** A new token pair for `user` through the App's client `clientId` (at sign-in, or a refresh). */
  issue(clientId: string, user: User): IssuedUserToken {
    const token = `ghu_${randomBytes(16).toString('hex')}`;
    if (!this.expire) {
      this.access.set(token, { clientId, expiresAt: null });
      return { access_token: token, token_type: 'bearer', scope: '' };
    }
    const refreshToken = `ghr_${randomBytes(30).toString('hex')}`;
    this.access.set(token, { clientId, expiresAt: this.now() + USER_TOKEN_LIFETIME_S * 1000 });
    this.refresh.set(refreshToken, { clientId, user, expiresAt: this.now() + REFRESH_TOKEN_LIFETIME_S * 1000 });
    return { access_token: token, token_type: 'bearer', scope: '', expires_in: USER_TOKEN_LIFETIME_S, refresh_token: refreshToken, refresh_token_expires_in: REFRESH_TOKEN_LIFETIME_S };
  }

  /** The App client of a user token (`expired` once its 8 hours are over), or undefined for no user token of an App. */
  clientOf(token: string): { clientId: string; expired: boolean } | undefined {
    const issued = this.access.get(token);
    if (!issued) return undefined;
    return { clientId: issued.clientId, expired: issued.expiresAt !== null && issued.expiresAt <= this.now() };
  }

  /** Ends the 8 hours of every user token issued so far (a test's "a day later" for user tokens only). */
  expireAll(): void {
    for (const issued of this.access.values()) issued.expiresAt = this.now() - 1;
  }

  /** Spends `refreshToken` for a new pair (and its user), or undefined (GitHub's `bad_refresh_token`). */
  redeem(clientId: string, refreshToken: string): { user: User; issued: IssuedUserToken } | undefined {
    const grant = this.refresh.get(refreshToken);
    const ok = grant !== undefined && grant.clientId === clientId && grant.expiresAt > this.now();
    this.refreshes.push({ refreshToken, ok });
    if (!ok) return undefined;
    this.refresh.delete(refreshToken);
    return { user: grant.user, issued: this.issue(clientId, grant.user) };
  }
}
