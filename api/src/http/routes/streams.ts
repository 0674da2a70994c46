import { Router, type Request, type Response } from 'express';
import type { SessionStore } from '../../auth/sessions.js';
import type { UseCaseContext } from '../../use-cases/context.js';
import { followBuildLog, followDeploymentEvents } from '../../use-cases/deployment-streams.js';
import { getDeployment } from '../../use-cases/deployments.js';
import { currentUser } from '../middleware/session.js';
import { openSse } from '../sse.js';

/** A resumed stream's position: a non-negative integer, else the start. */
function lastEventId(value: string | undefined): number {
  return value !== undefined && /^\d{1,12}$/.test(value) ? Number(value) : 0;
}

/** Server-sent events under `/api`: the user's deployment changes, and one build log. */
export function streamRoutes(ctx: UseCaseContext, sessions: SessionStore): Router {
  const r = Router();

  /** A stream that ends with its session: at logout at once, else within a check period. */
  const open = (req: Request, res: Response) => {
    const sse = openSse(req, res);
    const token = res.locals.sessionToken;
    if (token !== undefined) {
      const unwatch = sessions.watch(token, sse.close);
      sse.signal.addEventListener('abort', unwatch, { once: true });
    }
    return sse;
  };

  r.get('/events', async (req, res) => {
    const sse = open(req, res);
    await followDeploymentEvents(ctx, currentUser(res), sse.send, sse.signal);
    sse.close();
  });

  r.get('/deployments/:deploymentId/logs/stream', async (req, res) => {
    const user = currentUser(res);
    // Not found is an ordinary JSON 404, before the stream opens.
    await getDeployment(ctx, user, req.params.deploymentId, false);
    const sse = open(req, res);
    try {
      await followBuildLog(ctx, user, req.params.deploymentId, lastEventId(req.get('Last-Event-ID')), sse.send, sse.signal);
    } finally {
      sse.close();
    }
  });

  return r;
}
