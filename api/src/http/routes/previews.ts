import { Router } from 'express';
import { z } from 'zod';
import { approvePreviewSchema, previewDtoSchema, previewLogDtoSchema, previewLogQuerySchema } from '@dangus/common';
import type { UseCaseContext } from '../../use-cases/context.js';
import * as previews from '../../use-cases/previews.js';
import { currentUser } from '../middleware/session.js';
import { routeDocs } from '../openapi/describe.js';

/** `/api/services/:serviceId/previews*` (issue 35), behind requireUser like `/api`. */
export function previewRoutes(ctx: UseCaseContext): Router {
  const r = Router();
  const doc = routeDocs(r, { tag: 'Previews', access: 'user' });
  const number = z.object({ number: z.string().regex(/^[1-9][0-9]{0,9}$/).describe('The pull request\'s number.') });

  doc.get('/services/:serviceId/previews', { summary: 'The service\'s previews of pull requests', description: 'The open ones first (state, URL, commit, time left), then the newest closed ones.', response: z.array(previewDtoSchema) });
  r.get('/services/:serviceId/previews', async (req, res) => {
    res.json(await previews.listServicePreviews(ctx, currentUser(res), req.params.serviceId));
  });
  doc.get('/services/:serviceId/previews/:number/log', { summary: 'The log of a preview\'s last build', description: 'Stored as it streams and redacted as a deployment\'s build log is; `complete` once the build ended, was superseded by a newer push or torn down. For developers and above (403 for a viewer); 404 before the pull request\'s first build started. `?from=N` answers only what lies beyond the first N characters (follow a log by asking from its `length`).', params: number, query: previewLogQuerySchema, response: previewLogDtoSchema, errors: [403, 404] });
  r.get('/services/:serviceId/previews/:number/log', async (req, res) => {
    res.json(await previews.previewBuildLog(ctx, currentUser(res), req.params.serviceId, req.params.number, req.query));
  });
  doc.post('/services/:serviceId/previews/:number/approve', { summary: 'Approve the head commit of a pull request waiting for a maintainer', description: 'A fork\'s push (or an author without write access) builds only once approved; each new push needs another approval. The body names the head commit you saw: 409 when the pull request\'s head moved since (or nothing waits for an approval); 403 when GitHub says you have no write access to the repository.', params: number, body: approvePreviewSchema, response: previewDtoSchema, errors: [403, 409] });
  r.post('/services/:serviceId/previews/:number/approve', async (req, res) => {
    res.json(await previews.approvePreview(ctx, currentUser(res), req.params.serviceId, req.params.number, req.body));
  });
  doc.post('/services/:serviceId/previews/:number/teardown', { summary: 'Tear a preview down now', description: 'One commit prunes its objects; a later push of the pull request opens it again. 409 when it is torn down already.', params: number, response: previewDtoSchema, errors: [409] });
  r.post('/services/:serviceId/previews/:number/teardown', async (req, res) => {
    res.json(await previews.tearDownPreview(ctx, currentUser(res), req.params.serviceId, req.params.number));
  });
  return r;
}
