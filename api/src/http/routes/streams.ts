import { Router, type Request, type Response } from 'express';
import type { SessionStore } from '../../auth/sessions.js';
import { TooManyRequestsError } from '../../errors.js';
import { limitFor } from '../../use-cases/limits.js';
import type { UseCaseContext } from '../../use-cases/context.js';
import { followBuildLog, followDeploymentEvents } from '../../use-cases/deployment-streams.js';
import { getDeployment } from '../../use-cases/deployments.js';
import { followRuntimeLogs, prepareRuntimeLogs } from '../../use-cases/service-logs.js';
import { currentUser } from '../middleware/session.js';
import type { Drain } from '../drain.js';
import { openSse } from '../sse.js';
import { StreamLeases } from '../stream-leases.js';

/** How soon a browser whose stream ended in a graceful stop reconnects (to another replica). */
const DRAIN_RETRY_MS = 250;

/** A resumed stream's position: a non-negative integer, else the start. */
function lastEventId(value: string | undefined): number {
  return value !== undefined && /^\d{1,12}$/.test(value) ? Number(value) : 0;
}

/** Server-sent events under `/api`: the user's deployment changes, and one build log. */
export function streamRoutes(ctx: UseCaseContext, sessions: SessionStore, drain?: Drain): Router {
  const r = Router();

  /** Open streams per user on every replica: a browser tab holds one or two. */
  const leases = new StreamLeases(ctx.db, ctx.logger);

  /**
   * A stream that ends with its session (at logout at once, else within a check
   * period), counted against the user's limit across replicas: past it, a 429 and no stream.
   */
  const open = async (req: Request, res: Response) => {
    const user = currentUser(res);
    const max = limitFor(ctx, user, ctx.limits.streamsPerUser);
    const lease = await leases.acquire(user.id, max);
    if (lease === null) {
      throw new TooManyRequestsError(`You have ${String(max)} live streams open, the most this platform allows: close a tab or two.`);
    }
    const sse = openSse(req, res);
    sse.signal.addEventListener('abort', () => leases.release(lease), { once: true });
    // A graceful stop ends the stream: the browser reconnects (elsewhere) and resumes.
    if (drain) sse.signal.addEventListener('abort', drain.stream(() => sse.close(DRAIN_RETRY_MS)), { once: true });
    const token = res.locals.sessionToken;
    if (token !== undefined) {
      const unwatch = sessions.watch(token, () => sse.close());
      sse.signal.addEventListener('abort', unwatch, { once: true });
    }
    return sse;
  };

  r.get('/events', async (req, res) => {
    const sse = await open(req, res);
    const resume = req.get('Last-Event-ID');
    await followDeploymentEvents(ctx, currentUser(res), resume !== undefined && /^\d{1,18}$/.test(resume) ? resume : undefined, sse.send, sse.signal);
    sse.close();
  });

  r.get('/deployments/:deploymentId/logs/stream', async (req, res) => {
    const user = currentUser(res);
    // Not found is an ordinary JSON 404, before the stream opens.
    await getDeployment(ctx, user, req.params.deploymentId, false);
    const sse = await open(req, res);
    try {
      await followBuildLog(ctx, user, req.params.deploymentId, lastEventId(req.get('Last-Event-ID')), sse.send, sse.signal);
    } finally {
      sse.close();
    }
  });

  r.get('/services/:serviceId/logs/stream', async (req, res) => {
    const user = currentUser(res);
    // Bad parameters and someone else's service are ordinary JSON answers, before the stream opens.
    const prepared = await prepareRuntimeLogs(ctx, user, req.params.serviceId, req.query);
    const sse = await open(req, res);
    try {
      await followRuntimeLogs(ctx, user, prepared, (line) => sse.send({ event: 'log', data: JSON.stringify(line) }), sse.signal);
      sse.send({ event: 'end', data: '{}' });
    } finally {
      sse.close();
    }
  });

  return r;
}
