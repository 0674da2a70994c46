import type { Drain } from '../drain.js';
import { Router } from 'express';
import type { DataSource } from 'typeorm';
import { healthDtoSchema } from '@dangus/common';
import { routeDocs } from '../openapi/describe.js';

/** `/healthz`: the process answers. `/readyz`: it can also reach PostgreSQL, and is not shutting down. */
export function healthRoutes(db: DataSource, drain?: Drain): Router {
  const router = Router();
  const doc = routeDocs(router, { tag: 'Health', access: 'public' });
  doc.get('/healthz', { summary: 'The process answers', response: healthDtoSchema });
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  doc.get('/readyz', { summary: 'The process can reach PostgreSQL and is not shutting down', response: healthDtoSchema, otherAnswers: { 503: { description: 'Not ready: shutting down (`draining`) or PostgreSQL unreachable (`unavailable`).', schema: healthDtoSchema } } });
  router.get('/readyz', async (_req, res) => {
    if (drain?.draining) {
      res.status(503).json({ status: 'draining', reason: 'The process is shutting down.' });
      return;
    }
    try {
      await db.query('SELECT 1');
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'unavailable', reason: 'PostgreSQL is unreachable.' });
    }
  });
  return router;
}
