import express, { Router } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { routeDocs } from '../openapi/describe.js';

const PLACEHOLDER = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dangus Cloud</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="background:#0b0f14;color:#e6edf3;font-family:system-ui;padding:3rem">
<h1>Dangus Cloud</h1><p>The API is running. Build the UI with <code>npm run build</code> to see it here.</p></body></html>`;

/** The built UI at every path the API does not own, with the SPA's index.html as fallback. */
export function uiRoutes(uiDir: string): Router {
  const router = Router();
  routeDocs(router, { tag: 'UI', access: 'public' }).exclude('get', /.*/, 'The UI\'s pages: every path the api does not own.');
  const index = join(uiDir, 'index.html');
  if (existsSync(index)) {
    router.use(express.static(uiDir, { index: false, maxAge: '1h', immutable: false }));
    router.get(/.*/, (_req, res) => {
      res.set('Cache-Control', 'no-cache').sendFile(index);
    });
  } else {
    router.get(/.*/, (_req, res) => {
      res.type('html').send(PLACEHOLDER);
    });
  }
  return router;
}
