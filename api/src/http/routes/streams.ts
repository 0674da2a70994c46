import { Router, type Request, type Response } from 'express';
import type { SessionStore } from '../../auth/sessions.js';
import { TooManyRequestsError } from '../../errors.js';
import { limitFor } from '../../use-cases/limits.js';
import type { UseCaseContext } from '../../use-cases/context.js';
import { followBuildLog, followDeploymentEvents, followedAccounts } from '../../use-cases/deployment-streams.js';
import { authorizeDeployment } from '../../use-cases/policy.js';
import type { ProjectStreams } from '../project-streams.js';
import { followRuntimeLogs, prepareRuntimeLogs, runtimeLogQuerySchema } from '../../use-cases/service-logs.js';
import { currentUser } from '../middleware/session.js';
import type { Drain } from '../drain.js';
import { openSse } from '../sse.js';
import { StreamLeases } from '../stream-leases.js';
import { routeDocs } from '../openapi/describe.js';

/** How soon a browser whose stream ended in a graceful stop reconnects (to another replica). */
const DRAIN_RETRY_MS = 250;

/** A resumed stream's position: a non-negative integer, else the start. */
function lastEventId(value: string | undefined): number {
  return value !== undefined && /^\d{1,12}$/.test(value) ? Number(value) : 0;
}

/** Server-sent events under `/api`: the user's deployment changes, and one build log. */
export function streamRoutes(ctx: UseCaseContext, sessions: SessionStore, drain?: Drain, projectStreams?: ProjectStreams): Router {
  const r = Router();
  const doc = routeDocs(r, { tag: 'Streams', access: 'user' });

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

  doc.get('/events', { summary: 'Every change of your deployments and your teams\', live', produces: { type: 'text/event-stream', description: 'Server-sent events: `deployment` events, each a Deployment (JSON) as it changed; resumable with `Last-Event-ID`.' }, errors: [429] });
  r.get('/events', async (req, res) => {
    const user = currentUser(res);
    const accounts = await followedAccounts(ctx, user);
    const sse = await open(req, res);
    // Leaving a team ends the stream of its deployments: the browser reconnects without them.
    if (projectStreams && accounts.length > 1) sse.signal.addEventListener('abort', projectStreams.watchAccounts(user.id, accounts.slice(1), () => sse.close()), { once: true });
    const resume = req.get('Last-Event-ID');
    await followDeploymentEvents(ctx, user, resume !== undefined && /^\d{1,18}$/.test(resume) ? resume : undefined, sse.send, sse.signal, accounts);
    sse.close();
  });

  doc.get('/deployments/:deploymentId/logs/stream', { tag: 'Deployments', summary: 'A build\'s log, live', produces: { type: 'text/event-stream', description: 'Server-sent events: `log` events whose id is the offset after them (resumable with `Last-Event-ID`), then `end`.' }, errors: [429] });
  r.get('/deployments/:deploymentId/logs/stream', async (req, res) => {
    const user = currentUser(res);
    // Not found (or a role without logs) is an ordinary JSON answer, before the stream opens.
    const { project } = await authorizeDeployment(ctx.db.manager, user, req.params.deploymentId, 'logs');
    const sse = await open(req, res);
    if (projectStreams) sse.signal.addEventListener('abort', projectStreams.watch(user.id, project, 'logs', () => sse.close()), { once: true });
    try {
      await followBuildLog(ctx, user, req.params.deploymentId, lastEventId(req.get('Last-Event-ID')), sse.send, sse.signal);
    } finally {
      sse.close();
    }
  });

  doc.get('/services/:serviceId/logs/stream', { tag: 'Services', summary: 'A running service\'s logs, live', description: 'Through the Kubernetes API: every pod of the service, followed; pods that start later join, a restarted container continues. The service\'s env values are masked. `previous=true` gives the last crashed container\'s lines once. 503 `no_cluster` without a cluster.', query: runtimeLogQuerySchema, produces: { type: 'text/event-stream', description: 'Server-sent events: `log` events `{pod, container, timestamp, line}`, then `end`.' }, errors: [429, 502, 503] });
  r.get('/services/:serviceId/logs/stream', async (req, res) => {
    const user = currentUser(res);
    // Bad parameters and someone else's service are ordinary JSON answers, before the stream opens.
    const prepared = await prepareRuntimeLogs(ctx, user, req.params.serviceId, req.query);
    const sse = await open(req, res);
    if (projectStreams) sse.signal.addEventListener('abort', projectStreams.watch(user.id, prepared.project, 'logs', () => sse.close()), { once: true });
    try {
      await followRuntimeLogs(ctx, user, prepared, (line) => sse.send({ event: 'log', data: JSON.stringify(line) }), sse.signal);
      sse.send({ event: 'end', data: '{}' });
    } finally {
      sse.close();
    }
  });

  return r;
}
