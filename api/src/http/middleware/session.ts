import type { Request, RequestHandler, Response } from 'express';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { SessionStore } from '../../auth/sessions.js';
import { ForbiddenError, UnauthorizedError } from '../../errors.js';
import type { CurrentUser } from '../../use-cases/context.js';

export interface CookieSettings {
  secure: boolean;
}

/** `__Host-` needs `Secure`, so the prefix is used exactly when served over https. */
export function sessionCookieName(settings: CookieSettings): string {
  return settings.secure ? '__Host-dangus_session' : 'dangus_session';
}

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.get('cookie');
  return header ? parseCookie(header)[name] : undefined;
}

export function setSessionCookie(res: Response, settings: CookieSettings, token: string, expires: Date): void {
  res.append(
    'Set-Cookie',
    stringifySetCookie({
      name: sessionCookieName(settings),
      value: token,
      httpOnly: true,
      sameSite: 'lax',
      secure: settings.secure,
      path: '/',
      expires,
    }),
  );
}

export function clearSessionCookie(res: Response, settings: CookieSettings): void {
  res.append(
    'Set-Cookie',
    stringifySetCookie({ name: sessionCookieName(settings), value: '', httpOnly: true, sameSite: 'lax', secure: settings.secure, path: '/', maxAge: 0 }),
  );
}

declare module 'express-serve-static-core' {
  interface Locals {
    user?: CurrentUser;
    /** The session cookie's token, for responses that must end with the session (SSE). */
    sessionToken?: string;
  }
}

/** Resolves the session cookie to `res.locals.user`; rejects with 401 when there is none. */
export function requireUser(sessions: SessionStore, settings: CookieSettings): RequestHandler {
  return (req, res, next) => {
    const token = readCookie(req, sessionCookieName(settings));
    if (!token) {
      next(new UnauthorizedError());
      return;
    }
    sessions
      .findUser(token)
      .then((user) => {
        if (!user) {
          next(new UnauthorizedError('Your session has ended; sign in again.'));
          return;
        }
        res.locals.user = { id: user.id, githubUsername: user.githubUsername, hash: user.hash, role: user.role, listVersion: user.listVersion };
        res.locals.sessionToken = token;
        next();
      })
      .catch(next);
  };
}

/** The signed-in user of a request that passed requireUser. */
export function currentUser(res: Response): CurrentUser {
  const user = res.locals.user;
  if (!user) throw new UnauthorizedError();
  return user;
}

/** Lets admins through; a member gets 403 and nothing happens. Goes after requireUser. */
export const requireAdmin: RequestHandler = (_req, res, next) => {
  next(currentUser(res).role === 'admin' ? undefined : new ForbiddenError('Only an admin of the platform may do this.', 'admin_only'));
};
