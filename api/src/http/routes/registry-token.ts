import { Router, type Request } from 'express';
import { registryJwksDtoSchema, registryTokenDtoSchema, registryTokenQuerySchema } from '@dangus/common';
import type { RegistryTokens } from '../../registry/registry-tokens.js';
import { scopesOf } from '../../registry/registry-scopes.js';
import { routeDocs } from '../openapi/describe.js';

/**
 * `/registry/token` and `/registry/jwks.json`: the bundled registry's token server
 * (REGISTRY_MODE=bundled; registry/registry-tokens.ts). Its answers and refusals are
 * in the registry protocol's shapes (`{ errors: [{ code, message }] }`), which the
 * registry's clients (Kaniko, containerd, docker) read.
 */
export function registryTokenRoutes(tokens: RegistryTokens): Router {
  const router = Router();
  const doc = routeDocs(router, { tag: 'Registry', access: 'public' });
  doc.get('/registry/token', {
    summary: 'A token for the bundled registry',
    description:
      'Distribution\'s token authentication: with a tenant robot\'s name and secret (HTTP Basic), a JWT (ES256) whose `access` holds, of the scopes asked (`repository:dangus-{namespace}/{service}:pull,push`), only push and pull on the robot\'s own project; anything else asked is granted no action and logged. Without credentials a token granting nothing; wrong credentials are a 401; another `service` than the registry\'s a 400.',
    query: registryTokenQuerySchema,
    response: registryTokenDtoSchema,
    plainErrors: true,
    errors: [400, 401],
  });
  router.get('/registry/token', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    const credentials = basicAuth(req);
    if (credentials === 'malformed') {
      res.status(401).set('WWW-Authenticate', 'Basic realm="dangus-registry"').json({ errors: [{ code: 'UNAUTHORIZED', message: 'malformed Basic credentials' }] });
      return;
    }
    const query = new URL(req.originalUrl, 'http://token').searchParams;
    const outcome = await tokens.issue({
      credentials,
      service: query.get('service'),
      scopes: scopesOf(query.getAll('scope')),
      ...(query.get('client_id') ? { clientId: query.get('client_id') ?? '' } : {}),
    });
    if (!outcome.ok) {
      if (outcome.status === 401) res.set('WWW-Authenticate', 'Basic realm="dangus-registry"');
      res.status(outcome.status).json({ errors: [{ code: outcome.code, message: outcome.message }] });
      return;
    }
    res.json(outcome.answer);
  });
  doc.get('/registry/jwks.json', {
    summary: 'The key set the bundled registry trusts',
    description: 'The public half of the key registry tokens are signed with (made once, its private half encrypted in PostgreSQL): the file of the registry\'s `auth.token.jwks`.',
    response: registryJwksDtoSchema,
  });
  router.get('/registry/jwks.json', async (_req, res) => {
    res.json(await tokens.jwks());
  });
  return router;
}

function basicAuth(req: Request): { username: string; password: string } | null | 'malformed' {
  const header = req.headers.authorization;
  if (header === undefined) return null;
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
  if (!match?.[1]) return 'malformed';
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon <= 0 ? 'malformed' : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
