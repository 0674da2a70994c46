import { Router } from 'express';
import { z } from 'zod';
import {
  appDeliveryDtoSchema,
  githubAppManifestFormDtoSchema,
  githubAppManifestRequestSchema,
  githubAppStatusDtoSchema,
  installationPageDtoSchema,
  redeliveryDtoSchema,
  repositoryBranchesDtoSchema,
  userRepositoryDtoSchema,
} from '@dangus/common';
import type { SessionStore } from '../../auth/sessions.js';
import { AppError } from '../../errors.js';
import { beginManifest, completeManifest, githubAppStatus, installationPage, type ManifestSettings } from '../../use-cases/github-app.js';
import { listRepositoryBranches, listUserRepositories } from '../../use-cases/github-repositories.js';
import { listAppDeliveries, redeliverAppDelivery } from '../../use-cases/github-app-deliveries.js';
import type { UseCaseContext } from '../../use-cases/context.js';
import { routeDocs } from '../openapi/describe.js';
import { currentUser, requireAdmin, requireUser, type CookieSettings } from '../middleware/session.js';

/**
 * `/api/system/github-app` (admins: the App and its installations, the manifest form, the
 * webhook's deliveries and their redelivery),
 * `/api/github/*` (a user's repositories through the App and their branches, the installation page).
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
  doc.get('/system/github-app/deliveries', { access: 'admin', summary: 'The App webhook\'s last 50 deliveries', description: 'Newest first, with what each did (applied, or ignored and why).', response: z.array(appDeliveryDtoSchema) });
  r.get('/system/github-app/deliveries', requireAdmin, async (_req, res) => {
    res.json(await listAppDeliveries(ctx));
  });
  doc.post('/system/github-app/deliveries/:id/redeliver', { access: 'admin', summary: 'Have GitHub send a delivery again', description: 'Through GitHub\'s redelivery API, as the App: the delivery then arrives at the webhook like any other. 409 when GitHub no longer keeps it (three days) or it carried no delivery id; 502 when GitHub fails.', params: z.object({ id: z.string().regex(/^\d+$/) }), status: 202, response: redeliveryDtoSchema, errors: [409, 502] });
  r.post('/system/github-app/deliveries/:id/redeliver', requireAdmin, async (req, res) => {
    res.status(202).json(await redeliverAppDelivery(ctx, String(req.params.id)));
  });
  doc.get('/github/repositories', { summary: 'The repositories you reach through the App', description: 'As GitHub answers with your own token: an installation you cannot access is never listed. 409 `no_github_app` without an App, or when your sign-in predates the App or expired; 502 when GitHub fails (a rate limit says when it resets).', response: z.array(userRepositoryDtoSchema), errors: [409, 502] });
  r.get('/github/repositories', async (_req, res) => {
    res.json(await listUserRepositories(ctx, currentUser(res)));
  });
  doc.get('/github/repositories/:owner/:repo/branches', { summary: 'A repository\'s branches, through the App', description: 'GitHub is asked with your token whether you can see the repository, then its branches are read through the installation with a token for that one repository. A repository you cannot see, one outside every installation and one that does not exist are the same 404. 409 `no_github_app` without an App; 502 when GitHub fails.', params: z.object({ owner: z.string(), repo: z.string() }), response: repositoryBranchesDtoSchema, errors: [400, 409, 502] });
  r.get('/github/repositories/:owner/:repo/branches', async (req, res) => {
    res.json(await listRepositoryBranches(ctx, currentUser(res), req.params.owner, req.params.repo));
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
