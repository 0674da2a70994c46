import { Router } from 'express';
import { z } from 'zod';
import { bucketDtoSchema, objectStorageDtoSchema } from '@dangus/common';
import type { UseCaseContext } from '../../use-cases/context.js';
import * as storage from '../../use-cases/object-storage.js';
import { currentUser } from '../middleware/session.js';
import { routeDocs } from '../openapi/describe.js';

/**
 * `/api/services/:serviceId/object-storage` and `/api/buckets` (README "Object storage"),
 * behind requireUser: a service's bucket, its key and what is kept after it.
 */
export function objectStorageRoutes(ctx: UseCaseContext): Router {
  const r = Router();
  const doc = routeDocs(r, { tag: 'Object storage', access: 'user' });
  const base = '/services/:serviceId/object-storage';

  doc.get(base, { summary: 'The service\'s bucket: name, endpoint, state, key id and usage', description: '`available: false` when the platform has no object-storage backend; `usage: null` with `usageError` when the backend does not answer.', response: objectStorageDtoSchema });
  r.get(base, async (req, res) => {
    res.json(await storage.getObjectStorage(ctx, currentUser(res), req.params.serviceId));
  });
  doc.put(base, {
    summary: 'Enable object storage: a bucket and a key that reaches only it, injected into the app',
    description: 'The app gets `AWS_ENDPOINT_URL_S3`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `BUCKET_NAME` and `AWS_S3_FORCE_PATH_STYLE` through its env Secret (never git), by a rollout. 201 with a new bucket, 200 when it was enabled already or its kept bucket is taken back. 409 without a backend, at the project\'s bucket limit, or when a deleted service of the same name left a kept bucket; 503 when the backend does not answer (nothing is kept).',
    response: objectStorageDtoSchema,
    status: 201,
    errors: [409, 503],
  });
  r.put(base, async (req, res) => {
    const { created, storage: answer } = await storage.enableObjectStorage(ctx, currentUser(res), req.params.serviceId);
    res.status(created ? 201 : 200).json(answer);
  });
  doc.post(`${base}/rotate`, { summary: 'Rotate the bucket\'s key: a new one, the old one revoked, a rollout', response: objectStorageDtoSchema, errors: [409, 503] });
  r.post(`${base}/rotate`, async (req, res) => {
    res.json(await storage.rotateObjectStorageKey(ctx, currentUser(res), req.params.serviceId));
  });
  doc.delete(base, { summary: 'Disable object storage: the key is revoked at once, the bucket kept for the grace period', description: 'The app loses the variables (a rollout). The bucket is deleted when the grace period is over, or by `DELETE /api/buckets/{bucketId}`.', response: objectStorageDtoSchema, errors: [409, 503] });
  r.delete(base, async (req, res) => {
    res.json(await storage.disableObjectStorage(ctx, currentUser(res), req.params.serviceId));
  });
  doc.get('/buckets', { summary: 'Your buckets, in use and kept (a deleted service\'s included)', response: z.array(bucketDtoSchema) });
  r.get('/buckets', async (_req, res) => {
    res.json(await storage.listBuckets(ctx, currentUser(res)));
  });
  doc.delete('/buckets/:bucketId', { summary: 'Delete a kept bucket now, with its objects', description: '409 for a bucket in use (disable the service\'s storage first); 503 when the backend does not answer.', status: 204, errors: [409, 503] });
  r.delete('/buckets/:bucketId', async (req, res) => {
    await storage.deleteBucketNow(ctx, currentUser(res), req.params.bucketId);
    res.status(204).end();
  });
  return r;
}
