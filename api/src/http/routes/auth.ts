import { Router, type Request, type Response } from 'express';
import { stringifySetCookie } from 'cookie';
import { z } from 'zod';
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { authConfigDtoSchema, userDtoSchema, type ClusterStatusDto, type UserDto } from '@dangus/common';
import type { PendingAuthorization } from '../../auth/github-oauth.js';
import type { SignInClients } from '../../auth/sign-in-client.js';
import type { SessionStore } from '../../auth/sessions.js';
import type { Encryptor } from '../../crypto/encryption.js';
import { localSignInRefusal } from '../../auth/local-sign-in.js';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../../errors.js';
import { LOCAL_GITHUB_ID } from '../../auth/local-sign-in.js';
import { admitLocalUser, admitSignIn } from '../../use-cases/access.js';
import { adoptSetupAdmin, isSetupAdmin, SETUP_PENDING_REFUSAL, type FirstRunSetup } from '../../auth/first-run-setup.js';
import type { AccessPolicy } from '../../config/config.js';
import {
  clearSessionCookie,
  readCookie,
  requireUser,
  currentUser,
  sessionCookieName,
  setSessionCookie,
  type CookieSettings,
} from '../middleware/session.js';
import { routeDocs } from '../openapi/describe.js';

export interface AuthRoutesDeps {
  db: DataSource;
  encryptor: Encryptor;
  sessions: SessionStore;
  /** The GitHub App's client once one exists, else the OAuth app's (or none). */
  signIn: SignInClients;
  localAuth: boolean;
  cookies: CookieSettings;
  logger: Logger;
  /** Who may sign in. */
  access: AccessPolicy;
  /** Whether the platform reaches a cluster: every page's banner reads it from `/auth/me`. */
  cluster: ClusterStatusDto;
  /** First-run setup: while it is pending nobody signs in; its admin becomes the GitHub account it signs in with. */
  setup?: FirstRunSetup;
}

/**
 * The pending sign-in's cookie. Behind TLS it takes the `__Host-` prefix (Secure,
 * this host only, Path=/): no sibling subdomain, such as a tenant's app, can set or
 * overwrite it. Over plain http (loopback) the prefix is not allowed, so it is
 * scoped to the sign-in's path instead.
 */
function pendingCookie(secure: boolean): { name: string; path: string } {
  return secure ? { name: '__Host-dangus_oauth', path: '/' } : { name: 'dangus_oauth', path: '/auth/github' };
}
const OAUTH_TTL_MS = 10 * 60_000;

/** GitHub's redirect back: `?code&state`, or `?error`. */
const callbackQuerySchema = z.object({
  code: z.string().max(512).optional(),
  state: z.string().max(512).optional(),
  error: z.string().max(100).optional(),
});

const pendingSchema = z.object({ state: z.string(), codeVerifier: z.string(), expiresAt: z.number(), clientId: z.string() });

/** `/auth/*`: GitHub sign-in (state + PKCE), the local sign-in of the embedded default, me, logout. */
export function authRoutes(deps: AuthRoutesDeps): Router {
  const router = Router();
  const doc = routeDocs(router, { tag: 'Auth', access: 'public' });

  const currentSessionUser = async (req: Request) => {
    const token = readCookie(req, sessionCookieName(deps.cookies));
    return token ? deps.sessions.findUser(token) : undefined;
  };

  const oauthCookie = (res: Response, value: string, maxAgeSeconds: number) =>
    res.append(
      'Set-Cookie',
      stringifySetCookie({
        name: pendingCookie(deps.cookies.secure).name,
        value,
        httpOnly: true,
        sameSite: 'lax',
        secure: deps.cookies.secure,
        path: pendingCookie(deps.cookies.secure).path,
        maxAge: maxAgeSeconds,
      }),
    );

  const signInFailed = (res: Response, reason: string): void => {
    res.redirect(302, `/sign-in?error=${encodeURIComponent(reason)}`);
  };

  doc.get('/config', { summary: 'Which sign-ins this platform offers', response: authConfigDtoSchema });
  router.get('/config', async (_req, res) => {
    const client = await deps.signIn.current();
    res.json({ github: client !== undefined, local: deps.localAuth, githubApp: client?.isGitHubApp === true });
  });

  doc.get('/github', { summary: 'Start the GitHub sign-in', description: 'Redirects to GitHub (OAuth with state and PKCE, through the GitHub App once one is connected, else the OAuth app); 404 when neither is configured.', status: 302, answers: 'To GitHub\'s consent page.', errors: [404] });
  router.get('/github', async (_req, res) => {
    const oauth = await deps.signIn.current();
    if (!oauth) throw new NotFoundError('GitHub sign-in (no OAuth app or GitHub App is configured)');
    const { url, pending } = oauth.begin();
    const value = { ...pending, clientId: oauth.clientId, expiresAt: Date.now() + OAUTH_TTL_MS };
    oauthCookie(res, deps.encryptor.encrypt(JSON.stringify(value)), OAUTH_TTL_MS / 1000);
    res.redirect(302, url);
  });

  doc.get('/github/callback', { summary: 'GitHub\'s redirect back', description: 'Sets the session cookie and redirects to `/`; a failed or refused sign-in redirects to `/sign-in?error=…` or `?refused=…`.', query: callbackQuerySchema, status: 302, answers: 'To `/` signed in, or to `/sign-in` with why not.', errors: [404] });
  router.get('/github/callback', async (req, res) => {
    const oauth = await deps.signIn.current();
    if (!oauth) throw new NotFoundError('GitHub sign-in (no OAuth app or GitHub App is configured)');
    // A sign-in begun with the OAuth app before the App was connected starts again.
    const pending = readPending(deps.encryptor, readCookie(req, pendingCookie(deps.cookies.secure).name), oauth.clientId);
    oauthCookie(res, '', 0);
    const query = callbackQuerySchema.safeParse(req.query);
    if (!query.success) {
      signInFailed(res, 'invalid_request');
      return;
    }
    if (query.data.error) {
      signInFailed(res, /^[a-z_]+$/.test(query.data.error) ? query.data.error : 'github_error');
      return;
    }
    if (!pending || !query.data.state || query.data.state !== pending.state) {
      signInFailed(res, 'state_mismatch');
      return;
    }
    if (!query.data.code) {
      signInFailed(res, 'invalid_request');
      return;
    }
    let identity;
    try {
      identity = await oauth.complete(query.data.code, pending);
    } catch (error) {
      deps.logger.warn({ err: error }, 'GitHub sign-in failed');
      signInFailed(res, 'github_unavailable');
      return;
    }
    const githubIdentity = { githubId: String(identity.id), login: identity.login, avatarUrl: identity.avatarUrl, accessToken: identity.accessToken, tokenKind: oauth.isGitHubApp ? ('app' as const) : ('oauth' as const), refresh: identity.refresh };
    // The setup admin's first GitHub sign-in: it becomes that account.
    const current = await currentSessionUser(req);
    if (current && (await isSetupAdmin(deps.db, current.id))) {
      const userId = await adoptSetupAdmin(deps.db, deps.encryptor, current.id, githubIdentity);
      const session = await deps.sessions.create(userId);
      setSessionCookie(res, deps.cookies, session.token, session.expiresAt);
      res.redirect(302, '/');
      return;
    }
    if (await deps.setup?.pending()) {
      res.redirect(302, `/sign-in?refused=${encodeURIComponent(SETUP_PENDING_REFUSAL)}`);
      return;
    }
    const admission = await admitSignIn(
      deps,
      deps.access,
      { githubId: String(identity.id), login: identity.login, avatarUrl: identity.avatarUrl, accessToken: identity.accessToken, tokenKind: oauth.isGitHubApp ? 'app' : 'oauth', refresh: identity.refresh },
      (org) => oauth.isOrgMember(identity.accessToken, org),
    );
    if (!admission.admitted) {
      deps.logger.info({ login: identity.login }, 'sign-in refused by the policy');
      res.redirect(302, `/sign-in?refused=${encodeURIComponent(admission.reason)}`);
      return;
    }
    const session = await deps.sessions.create(admission.userId);
    setSessionCookie(res, deps.cookies, session.token, session.expiresAt);
    res.redirect(302, '/');
  });

  doc.post('/local', { summary: 'The local sign-in of the embedded default', description: 'No password; its user is the platform\'s admin. Offered only without a GitHub OAuth app, on loopback; refused (403 `local_only`) from another address, through a proxy or to a non-loopback Host. Sets the session cookie.', status: 204, errors: [403, 404] });
  router.post('/local', async (req, res) => {
    if (!deps.localAuth) throw new NotFoundError('Local sign-in');
    const refusal = localSignInRefusal(req.socket.remoteAddress, req.headers);
    if (refusal !== null) throw new ForbiddenError(refusal, 'local_only');
    if (await deps.setup?.pending()) throw new ForbiddenError(SETUP_PENDING_REFUSAL, 'setup_pending');
    const userId = await admitLocalUser(deps, LOCAL_GITHUB_ID);
    const session = await deps.sessions.create(userId);
    setSessionCookie(res, deps.cookies, session.token, session.expiresAt);
    res.status(204).end();
  });

  doc.get('/me', { summary: 'The signed-in user', access: 'user', response: userDtoSchema });
  router.get('/me', requireUser(deps.sessions, deps.cookies), (_req, res) => {
    const user = currentUser(res);
    const body: UserDto = { id: user.id, githubUsername: user.githubUsername, hash: user.hash, role: user.role, cluster: deps.cluster };
    res.json(body);
  });

  doc.post('/logout', { summary: 'End the session', access: 'user', status: 204 });
  router.post('/logout', async (req, res) => {
    const token = readCookie(req, sessionCookieName(deps.cookies));
    if (!token) throw new UnauthorizedError();
    await deps.sessions.revoke(token);
    clearSessionCookie(res, deps.cookies);
    res.status(204).end();
  });

  return router;
}

function readPending(encryptor: Encryptor, cookie: string | undefined, clientId: string): PendingAuthorization | undefined {
  if (!cookie) return undefined;
  try {
    const parsed = pendingSchema.parse(JSON.parse(encryptor.decrypt(cookie)));
    return parsed.expiresAt > Date.now() && parsed.clientId === clientId ? { state: parsed.state, codeVerifier: parsed.codeVerifier } : undefined;
  } catch {
    return undefined; // tampered, foreign or stale: treated as no pending sign-in
  }
}
