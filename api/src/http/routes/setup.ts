import { Router } from 'express';
import { z } from 'zod';
import { dnsStatusDtoSchema, setupStateDtoSchema, setupTokenBodySchema } from '@dangus/common';
import { dnsStatus } from '../../auth/dns-check.js';
import { SETUP_REFUSALS, type FirstRunSetup } from '../../auth/first-run-setup.js';
import type { SessionStore } from '../../auth/sessions.js';
import type { Encryptor } from '../../crypto/encryption.js';
import { ConflictError } from '../../errors.js';
import { randomUserHash } from '../../use-cases/users.js';
import { parseInput } from '../../use-cases/validate.js';
import { requireAdmin, setSessionCookie, type CookieSettings } from '../middleware/session.js';
import { routeDocs } from '../openapi/describe.js';

/**
 * `/auth/setup`: the first-run setup link the installer prints (auth/first-run-setup.ts).
 * Reading a link changes nothing; claiming it (once, before it expires) makes the person
 * the admin and signs them in.
 */
export function setupRoutes(deps: { setup: FirstRunSetup; encryptor: Encryptor; sessions: SessionStore; cookies: CookieSettings }): Router {
  const router = Router();
  const doc = routeDocs(router, { tag: 'Auth', access: 'public' });
  doc.get('/setup', { summary: 'What a setup link is', description: 'Changes nothing: `ready` when it can be claimed, else why not (`used`, `expired`, `unknown`, `done`), in words.', query: z.object({ token: z.string() }), response: setupStateDtoSchema });
  router.get('/setup', async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token.slice(0, 200) : '';
    const state = token === '' ? 'unknown' : await deps.setup.check(token);
    res.json({ state, message: state === 'ready' ? null : SETUP_REFUSALS[state] });
  });
  doc.post('/setup', { summary: 'Claim the setup link: become the admin', description: 'Once, before it expires, while the platform has no admin: makes the setup admin and sets its session cookie. A used, expired or unknown link is a 409 saying which, and changes nothing.', body: setupTokenBodySchema, status: 204, errors: [409] });
  router.post('/setup', async (req, res) => {
    const { token } = parseInput(setupTokenBodySchema, req.body);
    const outcome = await deps.setup.claim(token, deps.encryptor, randomUserHash);
    if (!outcome.ok) throw new ConflictError(SETUP_REFUSALS[outcome.state], { token: [SETUP_REFUSALS[outcome.state]] });
    const session = await deps.sessions.create(outcome.userId);
    setSessionCookie(res, deps.cookies, session.token, session.expiresAt);
    res.status(204).end();
  });
  return router;
}

/** `/api/system/dns`: the records to create, checked now (admins). */
export function dnsRoutes(settings: { publicUrl: string; baseDomain: string; target: string | null }): Router {
  const router = Router();
  const doc = routeDocs(router, { tag: 'System', access: 'admin' });
  router.use('/system/dns', requireAdmin);
  doc.get('/system/dns', { summary: 'The DNS records to create, and whether they resolve', description: 'The wildcard of BASE_DOMAIN and the platform\'s host (when the wildcard does not cover it), pointed at DNS_TARGET, each looked up now.', response: dnsStatusDtoSchema });
  router.get('/system/dns', async (_req, res) => {
    res.json(await dnsStatus(settings));
  });
  return router;
}
