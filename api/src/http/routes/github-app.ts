import { Router } from 'express';
import type { SessionStore } from '../../auth/sessions.js';
import { AppError } from '../../errors.js';
import { beginManifest, completeManifest, githubAppStatus, installationPage, type ManifestSettings } from '../../use-cases/github-app.js';
import { listRepositoryBranches, listUserRepositories } from '../../use-cases/github-repositories.js';
import { listAppDeliveries, redeliverAppDelivery } from '../../use-cases/github-app-deliveries.js';
import type { UseCaseContext } from '../../use-cases/context.js';
import { currentUser, requireAdmin, requireUser, type CookieSettings } from '../middleware/session.js';

/**
 * `/api/system/github-app` (admins: the App and its installations, the manifest form, the
 * webhook's deliveries and their redelivery),
 * `/api/github/*` (a user's repositories through the App and their branches, the installation page).
 */
export function githubAppApiRoutes(ctx: UseCaseContext, settings: ManifestSettings): Router {
  const r = Router();
  r.get('/system/github-app', requireAdmin, async (_req, res) => {
    res.json(await githubAppStatus(ctx));
  });
  r.post('/system/github-app/manifest', requireAdmin, async (req, res) => {
    res.json(await beginManifest(ctx, currentUser(res), settings, req.body));
  });
  r.get('/system/github-app/deliveries', requireAdmin, async (_req, res) => {
    res.json(await listAppDeliveries(ctx));
  });
  r.post('/system/github-app/deliveries/:id/redeliver', requireAdmin, async (req, res) => {
    res.status(202).json(await redeliverAppDelivery(ctx, String(req.params.id)));
  });
  r.get('/github/repositories', async (_req, res) => {
    res.json(await listUserRepositories(ctx, currentUser(res)));
  });
  r.get('/github/repositories/:owner/:repo/branches', async (req, res) => {
    res.json(await listRepositoryBranches(ctx, currentUser(res), req.params.owner, req.params.repo));
  });
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
