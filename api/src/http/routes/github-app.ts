import { Router } from 'express';
import { z } from 'zod';
import { githubAppManifestFormDtoSchema, githubAppManifestRequestSchema, githubAppStatusDtoSchema, installationPageDtoSchema, userRepositoryDtoSchema } from '@dangus/common';
import type { SessionStore } from '../../auth/sessions.js';
import { AppError } from '../../errors.js';
import { beginManifest, completeManifest, githubAppStatus, installationPage, listUserRepositories, type ManifestSettings } from '../../use-cases/github-app.js';
import type { UseCaseContext } from '../../use-cases/context.js';
import { routeDocs } from '../openapi/describe.js';
import { currentUser, requireAdmin, requireUser, type CookieSettings } from '../middleware/session.js';

/**
 * `/api/system/github-app` (admins: the App and its installations, the manifest form),
 * `/api/github/*` (a user's repositories through the App, the installation page).
 */
export function githubAppApiRoutes(ctx: UseCaseContext, settings: ManifestSettings): Router {
  const r = Router();
  const doc = routeDocs(r, { tag: 'GitHub App', access: 'user' });
  doc.get('/system/github-app', { access: 'admin', summary: 'The GitHub App and its installations', description: '404 when this platform has no GitHub App support.', response: githubAppStatusDtoSchema });
  r.get('/system/github-app', requireAdmin, async (_req, res) => {
    res.json(await githubAppStatus(ctx));
  });
  doc.post('/system/github-app/manifest', { access: 'admin', summary: 'Start creating the GitHub App', description: 'A one-time state bound to this admin, and the form the browser posts to GitHub (its manifest flow); GitHub returns to `/auth/github-app/created`. 409 when an App exists.', body: githubAppManifestRequestSchema, response: githubAppManifestFormDtoSchema, errors: [409] });
  r.post('/system/github-app/manifest', requireAdmin, async (req, res) => {
    res.json(await beginManifest(ctx, currentUser(res), settings, req.body));
  });
  doc.get('/github/repositories', { summary: 'The repositories you reach through the App', description: 'As GitHub answers with your own token: an installation you cannot access is never listed. 404 without an App; 409 when your sign-in predates the App or expired; 502 when GitHub fails.', response: z.array(userRepositoryDtoSchema), errors: [409, 502] });
  r.get('/github/repositories', async (_req, res) => {
    res.json(await listUserRepositories(ctx, currentUser(res)));
  });
  doc.get('/github/installations/new', { summary: 'The App\'s installation page on GitHub', description: '404 without an App.', response: installationPageDtoSchema });
  r.get('/github/installations/new', async (_req, res) => {
    res.json(await installationPage(ctx));
  });
  return r;
}

/**
 * `GET /auth/github-app/created`: where GitHub returns the admin's browser with the
 * manifest's code. A browser navigation, so it answers with a redirect to the System page
 * saying how it went; only the admin who started the flow gets anything done.
 */
export function githubAppReturnRoutes(ctx: UseCaseContext, sessions: SessionStore, cookies: CookieSettings): Router {
  const r = Router();
  const doc = routeDocs(r, { tag: 'GitHub App', access: 'admin' });
  doc.get('/github-app/created', { summary: 'GitHub\'s return from creating the App', description: 'A browser navigation: exchanges the code (`?code&state`) for the App\'s credentials, stored encrypted, and redirects to the System page saying how it went (`/system?github=connected` or `?github_error=…`).', status: 302, answers: 'To the System page.' });
  r.get('/github-app/created', requireUser(sessions, cookies), requireAdmin, async (req, res) => {
    try {
      await completeManifest(ctx, currentUser(res), req.query);
      res.redirect(302, '/system?github=connected');
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      ctx.logger.warn({ err: error }, 'the GitHub App manifest flow failed');
      res.redirect(302, `/system?github_error=${encodeURIComponent(error.message)}`);
    }
  });
  return r;
}
