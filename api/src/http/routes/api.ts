import { Router } from 'express';
import type { UseCaseContext } from '../../use-cases/context.js';
import * as projects from '../../use-cases/projects.js';
import * as services from '../../use-cases/services.js';
import * as envVars from '../../use-cases/env-vars.js';
import * as envImport from '../../use-cases/env-import.js';
import * as activity from '../../use-cases/activity.js';
import * as deployments from '../../use-cases/deployments.js';
import * as webhooks from '../../use-cases/webhooks.js';
import { redeliverAppDelivery } from '../../use-cases/github-app-pushes.js';
import * as history from '../../use-cases/history.js';
import * as releases from '../../use-cases/releases.js';
import * as serviceLogs from '../../use-cases/service-logs.js';
import { currentUser } from '../middleware/session.js';
import { UserConcurrency } from '../user-concurrency.js';

/**
 * `/api/*`, behind requireUser. Routes only parse the request, call a use case
 * and send its result (docs/architecture.md#code-conventions).
 */
export function apiRoutes(ctx: UseCaseContext): Router {
  const r = Router();
  // A history request runs git: a few of one user's at once (MAX_HISTORY_REQUESTS_PER_USER).
  const historyRequests = new UserConcurrency(
    ctx,
    ctx.limits.historyRequestsPerUser,
    (max) => `You have ${String(max)} history requests under way, the most this platform runs at once per user: try again when they are done.`,
  );

  r.get('/projects', async (_req, res) => {
    res.type('application/json').send(await projects.listProjects(ctx, currentUser(res)));
  });
  r.post('/projects', async (req, res) => {
    res.status(201).json(await projects.createProject(ctx, currentUser(res), req.body));
  });
  r.get('/projects/:projectId', async (req, res) => {
    res.json(await projects.getProject(ctx, currentUser(res), req.params.projectId));
  });
  r.get('/projects/:projectId/usage', async (req, res) => {
    res.json(await serviceLogs.projectUsage(ctx, currentUser(res), req.params.projectId));
  });
  r.delete('/projects/:projectId', async (req, res) => {
    await projects.deleteProject(ctx, currentUser(res), req.params.projectId);
    res.status(204).end();
  });

  r.get('/sizes', (_req, res) => {
    res.json(ctx.capacity.sizes);
  });

  r.post('/projects/:projectId/services', async (req, res) => {
    res.status(201).json(await services.createService(ctx, currentUser(res), req.params.projectId, req.body));
  });
  r.get('/services/:serviceId', async (req, res) => {
    res.json(await services.getService(ctx, currentUser(res), req.params.serviceId));
  });
  r.patch('/services/:serviceId', async (req, res) => {
    res.json(await services.updateService(ctx, currentUser(res), req.params.serviceId, req.body));
  });
  r.delete('/services/:serviceId', async (req, res) => {
    await services.deleteService(ctx, currentUser(res), req.params.serviceId);
    res.status(204).end();
  });
  r.post('/services/:serviceId/deploy', async (req, res) => {
    res.status(202).json(await services.deployService(ctx, currentUser(res), req.params.serviceId));
  });

  r.get('/services/:serviceId/events', async (req, res) => {
    res.json(await serviceLogs.listServiceEvents(ctx, currentUser(res), req.params.serviceId));
  });
  r.get('/services/:serviceId/metrics', async (req, res) => {
    res.json(await serviceLogs.serviceMetrics(ctx, currentUser(res), req.params.serviceId));
  });
  r.post('/services/:serviceId/restart', async (req, res) => {
    res.status(202).json(await services.restartService(ctx, currentUser(res), req.params.serviceId));
  });

  r.get('/services/:serviceId/env', async (req, res) => {
    res.json(await envVars.listEnvVars(ctx, currentUser(res), req.params.serviceId));
  });
  r.post('/services/:serviceId/env', async (req, res) => {
    res.status(201).json(await envVars.createEnvVar(ctx, currentUser(res), req.params.serviceId, req.body));
  });
  r.post('/services/:serviceId/env/import/preview', async (req, res) => {
    res.json(await envImport.previewEnvImport(ctx, currentUser(res), req.params.serviceId, req.body));
  });
  r.post('/services/:serviceId/env/import', async (req, res) => {
    res.json(await envImport.importEnv(ctx, currentUser(res), req.params.serviceId, req.body));
  });
  // A POST: it records who saw the value, so it is a change the Origin check guards.
  r.post('/services/:serviceId/env/:envId/reveal', async (req, res) => {
    res.json(await envVars.revealEnvValue(ctx, currentUser(res), req.params.serviceId, req.params.envId));
  });
  r.get('/services/:serviceId/activity', async (req, res) => {
    res.json(await activity.listActivity(ctx, currentUser(res), req.params.serviceId));
  });
  r.patch('/services/:serviceId/env/:envId', async (req, res) => {
    res.json(await envVars.updateEnvVar(ctx, currentUser(res), req.params.serviceId, req.params.envId, req.body));
  });
  r.delete('/services/:serviceId/env/:envId', async (req, res) => {
    await envVars.deleteEnvVar(ctx, currentUser(res), req.params.serviceId, req.params.envId);
    res.status(204).end();
  });

  r.get('/services/:serviceId/deployments', async (req, res) => {
    res.json(await deployments.listDeployments(ctx, currentUser(res), req.params.serviceId));
  });
  r.get('/services/:serviceId/webhook-deliveries', async (req, res) => {
    res.json(await webhooks.listWebhookDeliveries(ctx, currentUser(res), req.params.serviceId, req.query.outcome));
  });
  r.post('/services/:serviceId/webhook-deliveries/:deliveryId/redeliver', async (req, res) => {
    res.status(202).json(await redeliverAppDelivery(ctx, currentUser(res), req.params.serviceId, req.params.deliveryId));
  });
  r.get('/services/:serviceId/history', async (req, res) => {
    const user = currentUser(res);
    res.json(await historyRequests.run(user, () => history.listHistory(ctx, user, req.params.serviceId, req.query.cursor)));
  });
  r.get('/services/:serviceId/history/:sha', async (req, res) => {
    const user = currentUser(res);
    res.json(await historyRequests.run(user, () => history.getHistoryCommit(ctx, user, req.params.serviceId, req.params.sha)));
  });
  r.get('/deployments/:deploymentId', async (req, res) => {
    res.json(await deployments.getDeployment(ctx, currentUser(res), req.params.deploymentId));
  });
  r.get('/deployments/:deploymentId/rollback', async (req, res) => {
    res.json(await releases.previewRollback(ctx, currentUser(res), req.params.deploymentId));
  });
  r.post('/deployments/:deploymentId/rollback', async (req, res) => {
    res.status(202).json(await releases.rollbackDeployment(ctx, currentUser(res), req.params.deploymentId));
  });

  return r;
}
