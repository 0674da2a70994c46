import { Router } from 'express';
import { z } from 'zod';
import { accessRequestDtoSchema, adminUserDtoSchema, userLimitsDtoSchema, type UserLimitsDto } from '@dangus/common';
import type { SessionStore } from '../../auth/sessions.js';
import { NotFoundError } from '../../errors.js';
import {
  answerAccessRequest,
  changeUser,
  listAccessRequests,
  listUsers,
  parseDeleteProjects,
  removeUserQuerySchema,
  removeUser,
  type UserAction,
} from '../../use-cases/access.js';
import type { UseCaseContext } from '../../use-cases/context.js';
import { currentUser, requireAdmin } from '../middleware/session.js';
import { routeDocs } from '../openapi/describe.js';

const ACTIONS = new Set<UserAction>(['block', 'unblock', 'promote', 'demote']);

/** `/api/admin/*`: the Users page. Admins only; a member gets 403 and nothing changes. */
export function adminRoutes(ctx: UseCaseContext, sessions: SessionStore): Router {
  const r = Router();
  const doc = routeDocs(r, { tag: 'Admin', access: 'admin' });
  r.use('/admin', requireAdmin);
  const revoke = (userId: string) => sessions.revokeUser(userId);

  doc.get('/admin/users', { summary: 'Every user of the platform', response: z.array(adminUserDtoSchema) });
  r.get('/admin/users', async (_req, res) => {
    res.json(await listUsers(ctx));
  });
  doc.get('/admin/limits', { summary: 'The limits per user', response: userLimitsDtoSchema });
  r.get('/admin/limits', (_req, res) => {
    const body: UserLimitsDto = ctx.limits;
    res.json(body);
  });
  doc.post('/admin/users/:userId/:action', { summary: 'Block, unblock, promote or demote a user', description: 'Blocking ends the user\'s sessions; the last active admin cannot be blocked or demoted (409).', params: z.object({ action: z.enum([...ACTIONS]) }), response: adminUserDtoSchema, errors: [409] });
  r.post('/admin/users/:userId/:action', async (req, res) => {
    const action = req.params.action as UserAction;
    if (!ACTIONS.has(action)) throw new NotFoundError('Route');
    res.json(await changeUser(ctx, currentUser(res), req.params.userId, action, revoke));
  });
  doc.delete('/admin/users/:userId', { summary: 'Remove a user', query: removeUserQuerySchema, status: 204, errors: [409] });
  r.delete('/admin/users/:userId', async (req, res) => {
    await removeUser(ctx, currentUser(res), req.params.userId, parseDeleteProjects(req.query.deleteProjects), revoke);
    res.status(204).end();
  });
  doc.get('/admin/access-requests', { summary: 'Sign-ins the policy refused, waiting for an admin', response: z.array(accessRequestDtoSchema) });
  r.get('/admin/access-requests', async (_req, res) => {
    res.json(await listAccessRequests(ctx));
  });
  doc.post('/admin/access-requests/:requestId/allow', { summary: 'Let the account sign in', status: 204 });
  r.post('/admin/access-requests/:requestId/allow', async (req, res) => {
    await answerAccessRequest(ctx, currentUser(res), req.params.requestId, 'allowed');
    res.status(204).end();
  });
  doc.post('/admin/access-requests/:requestId/dismiss', { summary: 'Dismiss the request', status: 204 });
  r.post('/admin/access-requests/:requestId/dismiss', async (req, res) => {
    await answerAccessRequest(ctx, currentUser(res), req.params.requestId, 'dismissed');
    res.status(204).end();
  });
  return r;
}
