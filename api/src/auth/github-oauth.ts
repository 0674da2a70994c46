import { createHash, randomBytes } from 'node:crypto';
import { Octokit } from '@octokit/rest';
import { z } from 'zod';
import { UpstreamError } from '../errors.js';

export interface GitHubIdentity {
  id: number;
  login: string;
  avatarUrl: string | null;
  accessToken: string;
  /** An expiring App user token's refresh token, and when each expires (none for a token that does not expire). */
  refresh?: UserTokenExpiry;
}

/** What GitHub gives with an expiring user token (github/user-tokens.ts refreshes it). */
export interface UserTokenExpiry {
  refreshToken: string;
  expiresAt: Date;
  refreshTokenExpiresAt: Date | null;
}

/** The refresh token and expiries of a token answer (`expires_in`, seconds), when GitHub gave them. */
export function expiryOf(answer: { refresh_token?: string | undefined; expires_in?: number | undefined; refresh_token_expires_in?: number | undefined }, now = Date.now()): UserTokenExpiry | undefined {
  if (!answer.refresh_token || answer.expires_in === undefined) return undefined;
  return {
    refreshToken: answer.refresh_token,
    expiresAt: new Date(now + answer.expires_in * 1000),
    refreshTokenExpiresAt: answer.refresh_token_expires_in === undefined ? null : new Date(now + answer.refresh_token_expires_in * 1000),
  };
}

/** What the browser must bring back to the callback: kept in an encrypted cookie. */
export interface PendingAuthorization {
  state: string;
  codeVerifier: string;
}

const tokenResponseSchema = z.union([
  z.object({
    access_token: z.string().min(1),
    token_type: z.string().optional(),
    scope: z.string().optional(),
    // An expiring App user token (GitHub's default for Apps): 8 hours, and a refresh token for 6 months.
    refresh_token: z.string().min(1).optional(),
    expires_in: z.coerce.number().int().positive().optional(),
    refresh_token_expires_in: z.coerce.number().int().positive().optional(),
  }),
  z.object({ error: z.string(), error_description: z.string().optional() }),
]);

/**
 * GitHub's OAuth web flow with `state` and PKCE (S256). The web and API base
 * URLs are settings so that GitHub Enterprise (and the tests' fake GitHub) work.
 */
export class GitHubOAuth {
  static readonly SCOPES = 'read:user repo';

  constructor(
    private readonly options: {
      clientId: string;
      clientSecret: string;
      callbackUrl: string;
      webUrl: string;
      apiUrl: string;
      /** Ask for `read:org` too: only when sign-in depends on organization membership. */
      readOrgs?: boolean;
      /** A GitHub App's client: it asks for no scope (the App's permissions and installations decide). */
      githubApp?: boolean;
    },
  ) {}

  /** Which client this is: a pending sign-in started with another one is refused. */
  get clientId(): string {
    return this.options.clientId;
  }

  /** Whether this is the GitHub App's client (its users hold App user tokens). */
  get isGitHubApp(): boolean {
    return this.options.githubApp === true;
  }

  /** A fresh state + verifier and the URL to send the browser to. */
  begin(): { url: string; pending: PendingAuthorization } {
    const pending = { state: randomBytes(24).toString('base64url'), codeVerifier: randomBytes(48).toString('base64url') };
    const url = new URL(`${this.options.webUrl}/login/oauth/authorize`);
    url.search = new URLSearchParams({
      client_id: this.options.clientId,
      redirect_uri: this.options.callbackUrl,
      ...(this.options.githubApp ? {} : { scope: this.options.readOrgs ? `${GitHubOAuth.SCOPES} read:org` : GitHubOAuth.SCOPES }),
      state: pending.state,
      code_challenge: createHash('sha256').update(pending.codeVerifier).digest('base64url'),
      code_challenge_method: 'S256',
      allow_signup: 'false',
    }).toString();
    return { url: url.toString(), pending };
  }

  /** Exchanges the code (with the PKCE verifier) and reads who signed in. */
  async complete(code: string, pending: PendingAuthorization): Promise<GitHubIdentity> {
    let body: unknown;
    try {
      const response = await fetch(`${this.options.webUrl}/login/oauth/access_token`, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        body: JSON.stringify({
          client_id: this.options.clientId,
          client_secret: this.options.clientSecret,
          code,
          redirect_uri: this.options.callbackUrl,
          code_verifier: pending.codeVerifier,
        }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) throw new Error(`GitHub answered ${response.status} to the token exchange.`);
      body = await response.json();
    } catch (error) {
      throw new UpstreamError('Could not exchange the sign-in code with GitHub.', { cause: error });
    }
    const parsed = tokenResponseSchema.safeParse(body);
    if (!parsed.success || 'error' in parsed.data) {
      const reason = parsed.success && 'error' in parsed.data ? parsed.data.error : 'malformed answer';
      throw new UpstreamError(`GitHub refused the sign-in code (${reason}).`);
    }
    const accessToken = parsed.data.access_token;
    const refresh = expiryOf(parsed.data);
    try {
      const octokit = new Octokit({
        auth: accessToken,
        baseUrl: this.options.apiUrl,
        log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
        request: { retries: 0 },
      });
      const { data } = await octokit.rest.users.getAuthenticated();
      return { id: data.id, login: data.login, avatarUrl: data.avatar_url || null, accessToken, ...(refresh ? { refresh } : {}) };
    } catch (error) {
      throw new UpstreamError('Could not read the GitHub account that signed in.', { cause: error });
    }
  }

  /**
   * Whether the signed-in user is an active member of `org`
   * (`GET /user/memberships/orgs/{org}`, which needs `read:org`). Throws when
   * GitHub cannot say: the caller must then refuse, never let in.
   */
  async isOrgMember(accessToken: string, org: string): Promise<boolean> {
    const octokit = new Octokit({
      auth: accessToken,
      baseUrl: this.options.apiUrl,
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
      request: { retries: 0, timeout: 10_000 },
    });
    try {
      const { data } = await octokit.rest.orgs.getMembershipForAuthenticatedUser({ org });
      return data.state === 'active';
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 404 || status === 403) return false;
      throw new UpstreamError(`GitHub could not confirm the membership of ${org}.`, { cause: error });
    }
  }
}
