import { Router } from 'express';
import type { UserLimitsDto } from '@dangus/common';
import type { SessionStore } from '../../auth/sessions.js';
import { NotFoundError } from '../../errors.js';
import {
  answerAccessRequest,
  changeUser,
  listAccessRequests,
  listUsers,
  parseDeleteProjects,
  removeUser,
  type UserAction,
} from '../../use-cases/access.js';
import type { UseCaseContext } from '../../use-cases/context.js';
import { currentUser, requireAdmin } from '../middleware/session.js';

const ACTIONS = new Set<UserAction>(['block', 'unblock', 'promote', 'demote']);

/** `/api/admin/*`: the Users page. Admins only; a member gets 403 and nothing changes. */
export function adminRoutes(ctx: UseCaseContext, sessions: SessionStore): Router {
  const r = Router();
  r.use('/admin', requireAdmin);
  const revoke = (userId: string) => sessions.revokeUser(userId);

  r.get('/admin/users', async (_req, res) => {
    res.json(await listUsers(ctx));
  });
  r.get('/admin/limits', (_req, res) => {
    const body: UserLimitsDto = ctx.limits;
    res.json(body);
  });
  r.post('/admin/users/:userId/:action', async (req, res) => {
    const action = req.params.action as UserAction;
    if (!ACTIONS.has(action)) throw new NotFoundError('Route');
    res.json(await changeUser(ctx, currentUser(res), req.params.userId, action, revoke));
  });
  r.delete('/admin/users/:userId', async (req, res) => {
    await removeUser(ctx, currentUser(res), req.params.userId, parseDeleteProjects(req.query.deleteProjects), revoke);
    res.status(204).end();
  });
  r.get('/admin/access-requests', async (_req, res) => {
    res.json(await listAccessRequests(ctx));
  });
  r.post('/admin/access-requests/:requestId/allow', async (req, res) => {
    await answerAccessRequest(ctx, currentUser(res), req.params.requestId, 'allowed');
    res.status(204).end();
  });
  r.post('/admin/access-requests/:requestId/dismiss', async (req, res) => {
    await answerAccessRequest(ctx, currentUser(res), req.params.requestId, 'dismissed');
    res.status(204).end();
  });
  return r;
}
