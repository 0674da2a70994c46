import { Router } from 'express';
import { z } from 'zod';
import {
  createEnvVarSchema,
  createProjectSchema,
  createServiceSchema,
  deploymentDtoSchema,
  envVarDtoSchema,
  historyDiffDtoSchema,
  historyPageDtoSchema,
  projectDetailDtoSchema,
  projectDtoSchema,
  quotaUsageDtoSchema,
  restartDtoSchema,
  rollbackPreviewDtoSchema,
  serviceDtoSchema,
  serviceEventDtoSchema,
  serviceMetricsDtoSchema,
  serviceSizeDtoSchema,
  updateEnvVarSchema,
  updateServiceSchema,
  webhookDeliveryDtoSchema,
  envImportDtoSchema,
  envValueDtoSchema,
  importEnvSchema,
  serviceActivityDtoSchema,
  repositoryDockerfilesDtoSchema,
  watchedFilesDtoSchema,
  redeliveryDtoSchema,
} from '@dangus/common';
import type { UseCaseContext } from '../../use-cases/context.js';
import * as projects from '../../use-cases/projects.js';
import * as services from '../../use-cases/services.js';
import * as envVars from '../../use-cases/env-vars.js';
import * as envImport from '../../use-cases/env-import.js';
import * as activity from '../../use-cases/activity.js';
import * as deployments from '../../use-cases/deployments.js';
import * as webhooks from '../../use-cases/webhooks.js';
import { redeliverServiceDelivery } from '../../use-cases/github-app-pushes.js';
import * as history from '../../use-cases/history.js';
import * as releases from '../../use-cases/releases.js';
import * as serviceLogs from '../../use-cases/service-logs.js';
import * as repositoryFiles from '../../use-cases/repository-files.js';
import { checkRepositoryAccess } from '../../use-cases/repository-check.js';
import { currentUser } from '../middleware/session.js';
import { UserConcurrency } from '../user-concurrency.js';
import { routeDocs } from '../openapi/describe.js';

/**
 * `/api/*`, behind requireUser. Routes only parse the request, call a use case
 * and send its result (docs/architecture.md#code-conventions).
 */
export function apiRoutes(ctx: UseCaseContext): Router {
  const r = Router();
  const doc = routeDocs(r, { tag: 'Services', access: 'user' });
  // A history request runs git: a few of one user's at once (MAX_HISTORY_REQUESTS_PER_USER).
  const historyRequests = new UserConcurrency(
    ctx,
    ctx.limits.historyRequestsPerUser,
    (max) => `You have ${String(max)} history requests under way, the most this platform runs at once per user: try again when they are done.`,
  );

  doc.get('/projects', { tag: 'Projects', summary: 'Your projects', response: z.array(projectDtoSchema) });
  r.get('/projects', async (_req, res) => {
    res.type('application/json').send(await projects.listProjects(ctx, currentUser(res)));
  });
  doc.post('/projects', { tag: 'Projects', summary: 'Create a project', description: 'Its namespace is `{user hash}-{name}`; 409 when the name is in use or the projects limit is reached.', body: createProjectSchema, status: 201, response: projectDtoSchema, errors: [409] });
  r.post('/projects', async (req, res) => {
    res.status(201).json(await projects.createProject(ctx, currentUser(res), req.body));
  });
  doc.get('/projects/:projectId', { tag: 'Projects', summary: 'A project and its services', response: projectDetailDtoSchema });
  r.get('/projects/:projectId', async (req, res) => {
    res.json(await projects.getProject(ctx, currentUser(res), req.params.projectId));
  });
  doc.get('/projects/:projectId/usage', { tag: 'Projects', summary: 'The project\'s quota, used and hard per resource, as the cluster counts it', description: 'Empty while the namespace or its quota does not exist yet; 503 `no_cluster` without a cluster.', response: z.array(quotaUsageDtoSchema), errors: [502, 503] });
  r.get('/projects/:projectId/usage', async (req, res) => {
    res.json(await serviceLogs.projectUsage(ctx, currentUser(res), req.params.projectId));
  });
  doc.delete('/projects/:projectId', { tag: 'Projects', summary: 'Delete a project and all its services', status: 204 });
  r.delete('/projects/:projectId', async (req, res) => {
    await projects.deleteProject(ctx, currentUser(res), req.params.projectId);
    res.status(204).end();
  });

  doc.get('/sizes', { summary: 'The sizes a service\'s `size` may name', response: z.array(serviceSizeDtoSchema) });
  r.get('/sizes', (_req, res) => {
    res.json(ctx.capacity.sizes);
  });

  // The new-service form's Dockerfile suggestions and watch-path preview (issue 37).
  doc.get('/repository/dockerfiles', { tag: 'Repositories', summary: 'The Dockerfiles of a branch\'s head, each with a build context and watch paths to suggest', description: 'Read through GitHub\'s Git trees API with your GitHub token (anonymously as the local user: public repositories only); 502 when GitHub cannot answer or your token cannot see the repository.', query: repositoryFiles.repositoryQuery, response: repositoryDockerfilesDtoSchema, errors: [409, 502] });
  r.get('/repository/dockerfiles', async (req, res) => {
    res.json(await repositoryFiles.listDockerfiles(ctx, currentUser(res), req.query));
  });
  doc.get('/repository/watched-files', { tag: 'Repositories', summary: 'Which files of a branch\'s head the watch paths select', description: 'One `watchPaths` per pattern (commas split, spaces trimmed, as a service stores them); read through GitHub\'s Git trees API, as for the Dockerfiles.', query: repositoryFiles.watchedQuery, response: watchedFilesDtoSchema, errors: [409, 502] });
  r.get('/repository/watched-files', async (req, res) => {
    res.json(await repositoryFiles.listWatchedFiles(ctx, currentUser(res), req.query));
  });

  doc.post('/projects/:projectId/services', { summary: 'Create a service', description: '`replicas` and `size` are checked against the project\'s quota before anything is committed: 400 per field, 409 naming what the quota is short of (or a name in use, or the services limit).', body: createServiceSchema, status: 201, response: serviceDtoSchema, errors: [409] });
  r.post('/projects/:projectId/services', async (req, res) => {
    res.status(201).json(await services.createService(ctx, currentUser(res), req.params.projectId, req.body));
  });
  doc.get('/services/:serviceId', { summary: 'A service', response: serviceDtoSchema });
  r.get('/services/:serviceId', async (req, res) => {
    res.json(await services.getService(ctx, currentUser(res), req.params.serviceId));
  });
  doc.patch('/services/:serviceId', { summary: 'Change a service\'s settings', description: 'Only the fields given change. A source field takes effect at the next build; a runtime field rolls out as a release of its own.', body: updateServiceSchema, response: serviceDtoSchema, errors: [409] });
  r.patch('/services/:serviceId', async (req, res) => {
    res.json(await services.updateService(ctx, currentUser(res), req.params.serviceId, req.body));
  });
  doc.delete('/services/:serviceId', { summary: 'Delete a service', status: 204 });
  r.delete('/services/:serviceId', async (req, res) => {
    await services.deleteService(ctx, currentUser(res), req.params.serviceId);
    res.status(204).end();
  });
  doc.post('/services/:serviceId/deploy', { tag: 'Deployments', summary: 'Build and deploy the branch\'s head now', description: '409 for a private repository without a GitHub token; 503 `no_cluster` without a cluster (`ServiceDto.can.deploy` says which, before).', status: 202, response: deploymentDtoSchema, errors: [409, 502, 503] });
  r.post('/services/:serviceId/deploy', async (req, res) => {
    res.status(202).json(await services.deployService(ctx, currentUser(res), req.params.serviceId));
  });

  doc.post('/services/:serviceId/repository-access', { summary: 'Check access to the service\'s repository', description: 'Asks GitHub, with the acting user\'s own App token (anonymously for a public repository), whether they can read the repository, and binds the service to the id GitHub answers: only a bound service is built through the GitHub App and gets its pushes and pull requests. 409 with the reason when GitHub does not show it (the binding is kept as it was), or when no App is connected.', response: serviceDtoSchema, errors: [409] });
  r.post('/services/:serviceId/repository-access', async (req, res) => {
    res.json(await checkRepositoryAccess(ctx, currentUser(res), req.params.serviceId));
  });

  doc.get('/services/:serviceId/events', { summary: 'The Kubernetes Events of the service', description: 'Of its Deployment, ReplicaSets, pods, volume claim and build Jobs, newest first, with a plain-words `summary` where the reason is known. 503 `no_cluster` without a cluster.', response: z.array(serviceEventDtoSchema), errors: [502, 503] });
  r.get('/services/:serviceId/events', async (req, res) => {
    res.json(await serviceLogs.listServiceEvents(ctx, currentUser(res), req.params.serviceId));
  });
  doc.get('/services/:serviceId/metrics', { summary: 'The service\'s CPU and memory over the last hour', response: serviceMetricsDtoSchema, errors: [502] });
  r.get('/services/:serviceId/metrics', async (req, res) => {
    res.json(await serviceLogs.serviceMetrics(ctx, currentUser(res), req.params.serviceId));
  });
  doc.post('/services/:serviceId/restart', { summary: 'A rolling restart', description: 'One commit, with the actor, that sets the pod template\'s `dangus.cloud/restarted-at`. 409 when nothing runs yet; 503 `no_cluster` without a cluster.', status: 202, response: restartDtoSchema, errors: [409, 503] });
  r.post('/services/:serviceId/restart', async (req, res) => {
    res.status(202).json(await services.restartService(ctx, currentUser(res), req.params.serviceId));
  });

  doc.get('/services/:serviceId/env', { tag: 'Environment', summary: 'The service\'s env vars (values masked)', response: z.array(envVarDtoSchema) });
  r.get('/services/:serviceId/env', async (req, res) => {
    res.json(await envVars.listEnvVars(ctx, currentUser(res), req.params.serviceId));
  });
  doc.post('/services/:serviceId/env', { tag: 'Environment', summary: 'Add an env var', description: 'Rolls out as a release (no build). 409 when the key exists or a limit is reached.', body: createEnvVarSchema, status: 201, response: envVarDtoSchema, errors: [409] });
  r.post('/services/:serviceId/env', async (req, res) => {
    res.status(201).json(await envVars.createEnvVar(ctx, currentUser(res), req.params.serviceId, req.body));
  });
  doc.post('/services/:serviceId/env/import/preview', { tag: 'Environment', summary: 'Preview pasting a .env file', description: 'What the import would add, change or leave, by key; changes nothing. Bodies up to 4 MB. A bad line is a 400 naming its line number in `fields.dotenv`.', body: importEnvSchema, response: envImportDtoSchema, errors: [413] });
  r.post('/services/:serviceId/env/import/preview', async (req, res) => {
    res.json(await envImport.previewEnvImport(ctx, currentUser(res), req.params.serviceId, req.body));
  });
  doc.post('/services/:serviceId/env/import', { tag: 'Environment', summary: 'Apply a pasted .env file', description: 'Adds and changes the file\'s variables in one transaction, one commit and one rollout; variables not in the file are kept. Nothing is applied when a line is bad (400) or a limit would be passed (409).', body: importEnvSchema, response: envImportDtoSchema, errors: [409, 413] });
  r.post('/services/:serviceId/env/import', async (req, res) => {
    res.json(await envImport.importEnv(ctx, currentUser(res), req.params.serviceId, req.body));
  });
  // A POST: it records who saw the value, so it is a change the Origin check guards.
  doc.post('/services/:serviceId/env/:envId/reveal', { tag: 'Environment', summary: 'Reveal one env value to its owner', description: 'Recorded in the service\'s activity (who and when) before the value is answered.', response: envValueDtoSchema });
  r.post('/services/:serviceId/env/:envId/reveal', async (req, res) => {
    res.json(await envVars.revealEnvValue(ctx, currentUser(res), req.params.serviceId, req.params.envId));
  });
  doc.get('/services/:serviceId/activity', { tag: 'Environment', summary: 'The service\'s activity', description: 'What was done outside the infrastructure history (values revealed), newest first; the newest 500 are kept.', response: z.array(serviceActivityDtoSchema) });
  r.get('/services/:serviceId/activity', async (req, res) => {
    res.json(await activity.listActivity(ctx, currentUser(res), req.params.serviceId));
  });
  doc.patch('/services/:serviceId/env/:envId', { tag: 'Environment', summary: 'Change an env var\'s key or value', body: updateEnvVarSchema, response: envVarDtoSchema, errors: [409] });
  r.patch('/services/:serviceId/env/:envId', async (req, res) => {
    res.json(await envVars.updateEnvVar(ctx, currentUser(res), req.params.serviceId, req.params.envId, req.body));
  });
  doc.delete('/services/:serviceId/env/:envId', { tag: 'Environment', summary: 'Remove an env var', status: 204 });
  r.delete('/services/:serviceId/env/:envId', async (req, res) => {
    await envVars.deleteEnvVar(ctx, currentUser(res), req.params.serviceId, req.params.envId);
    res.status(204).end();
  });

  doc.get('/services/:serviceId/deployments', { tag: 'Deployments', summary: 'The service\'s deployments, newest first', response: z.array(deploymentDtoSchema) });
  r.get('/services/:serviceId/deployments', async (req, res) => {
    res.json(await deployments.listDeployments(ctx, currentUser(res), req.params.serviceId));
  });
  doc.get('/services/:serviceId/webhook-deliveries', { tag: 'Webhooks', summary: 'The service\'s last 50 webhook deliveries, refused ones included', query: webhooks.deliveriesQuerySchema, response: z.array(webhookDeliveryDtoSchema) });
  r.get('/services/:serviceId/webhook-deliveries', async (req, res) => {
    res.json(await webhooks.listWebhookDeliveries(ctx, currentUser(res), req.params.serviceId, req.query.outcome));
  });
  doc.post('/services/:serviceId/webhook-deliveries/:deliveryId/redeliver', {
    tag: 'Webhooks',
    summary: 'Ask GitHub to send a GitHub App delivery again (its redelivery API); the same delivery id, so what already built does not build twice',
    params: z.object({ deliveryId: z.uuid() }),
    status: 202,
    response: redeliveryDtoSchema,
    errors: [409, 502],
  });
  r.post('/services/:serviceId/webhook-deliveries/:deliveryId/redeliver', async (req, res) => {
    res.status(202).json(await redeliverServiceDelivery(ctx, currentUser(res), req.params.serviceId, req.params.deliveryId));
  });
  doc.get('/services/:serviceId/history', { tag: 'History', summary: 'The service\'s infrastructure history: state-repo commits, newest first', query: history.historyQuerySchema, response: historyPageDtoSchema, errors: [429, 502] });
  r.get('/services/:serviceId/history', async (req, res) => {
    const user = currentUser(res);
    res.json(await historyRequests.run(user, () => history.listHistory(ctx, user, req.params.serviceId, req.query.cursor)));
  });
  doc.get('/services/:serviceId/history/:sha', { tag: 'History', summary: 'One commit of the history, with its diff', params: z.object({ sha: z.string().regex(/^[0-9a-f]{40}$/) }), response: historyDiffDtoSchema, errors: [429, 502] });
  r.get('/services/:serviceId/history/:sha', async (req, res) => {
    const user = currentUser(res);
    res.json(await historyRequests.run(user, () => history.getHistoryCommit(ctx, user, req.params.serviceId, req.params.sha)));
  });
  doc.get('/deployments/:deploymentId', { tag: 'Deployments', summary: 'A deployment, with its build log', response: deploymentDtoSchema });
  r.get('/deployments/:deploymentId', async (req, res) => {
    res.json(await deployments.getDeployment(ctx, currentUser(res), req.params.deploymentId));
  });
  doc.get('/deployments/:deploymentId/rollback', { tag: 'Deployments', summary: 'What rolling back to this release would change', response: rollbackPreviewDtoSchema });
  r.get('/deployments/:deploymentId/rollback', async (req, res) => {
    res.json(await releases.previewRollback(ctx, currentUser(res), req.params.deploymentId));
  });
  doc.post('/deployments/:deploymentId/rollback', { tag: 'Deployments', summary: 'Roll back to this release: its image, runtime settings and env values', status: 202, response: deploymentDtoSchema, errors: [409] });
  r.post('/deployments/:deploymentId/rollback', async (req, res) => {
    res.status(202).json(await releases.rollbackDeployment(ctx, currentUser(res), req.params.deploymentId));
  });

  return r;
}
