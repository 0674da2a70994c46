import { readFileSync } from 'node:fs';
import { Router, type Express } from 'express';
import { z } from 'zod';
import { routeDocs } from './describe.js';
import { openApiDocument } from './document.js';

/** The api's version: api/package.json's (the same relative path from src/ and dist/). */
function apiVersion(): string {
  const parsed = z.object({ version: z.string() }).safeParse(JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')));
  return parsed.success ? parsed.data.version : '0.0.0';
}

/**
 * `GET /api/openapi.json`: the api's OpenAPI 3.1 document, public (no session) and
 * cacheable (an ETag; a browser or proxy keeps it five minutes). It is generated once,
 * at the first request, from `app` as mounted.
 */
export function openApiRoutes(app: Express): Router {
  const r = Router();
  const doc = routeDocs(r, { tag: 'Documentation', access: 'public' });
  let body: string | undefined;

  doc.get('/openapi.json', { summary: 'This document', description: 'The OpenAPI 3.1 document of this api, generated from the zod schemas it validates with. Public and cacheable (ETag).', response: z.looseObject({ openapi: z.string() }) });
  r.get('/openapi.json', (_req, res) => {
    body ??= JSON.stringify(openApiDocument(app, apiVersion()));
    res.set('Cache-Control', 'public, max-age=300').type('application/json').send(body);
  });
  return r;
}
