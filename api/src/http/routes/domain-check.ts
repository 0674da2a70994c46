import { Router } from 'express';
import { z } from 'zod';
import type { DataSource } from 'typeorm';
import { domainOfHttpToken } from '../../db/domains-repo.js';
import { HTTP_CHECK_PATH } from '../../domains/domain-checks.js';
import { routeDocs } from '../openapi/describe.js';

/**
 * `/.well-known/dangus-domain/:token`: the reachability check of a custom domain (issue 34).
 * Before a certificate is asked for, the leading controller GETs this path from the domain's
 * address with the domain as Host; the ingress routes the path of every host to the api
 * (bootstrap's Ingress), and the api answers the token only for the domain it was made for.
 */
export function domainCheckRoutes(db: DataSource): Router {
  const router = Router();
  const doc = routeDocs(router, { tag: 'Domains', access: 'public' });
  const path = `${HTTP_CHECK_PATH}:token`;
  doc.get(path, {
    summary: 'A custom domain\'s reachability token, for the domain it was made for',
    params: z.object({ token: z.string() }),
    response: z.strictObject({ token: z.string() }),
  });
  router.get(path, async (req, res) => {
    const token = req.params.token;
    const domain = /^[0-9a-f]{48}$/.test(token) ? await domainOfHttpToken(db, token) : null;
    if (!domain || req.hostname.toLowerCase() !== domain) {
      res.status(404).json({ error: { code: 'not_found', message: 'No such token for this host.' } });
      return;
    }
    res.json({ token });
  });
  return router;
}
