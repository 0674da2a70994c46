import express, { Router } from 'express';
import { registryWebhookAnswerSchema } from '@dangus/common';
import { UnsupportedMediaTypeError } from '../../errors.js';
import { routeDocs } from '../openapi/describe.js';
import type { UseCaseContext } from '../../use-cases/context.js';
import { receiveRegistryNotification, registryAuthorized, type RegistryWebhookSettings } from '../../use-cases/registry-events.js';

/** distribution sends one event an envelope; Harbor one push with its resources. */
const BODY_LIMIT = '256kb';
const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * `/webhooks/registry`, called by the registry (distribution's notifications endpoint, or
 * Harbor's webhook): no session, no Origin check; the bearer token is checked before the body
 * is read (docs/architecture.md#builds).
 */
export function registryWebhookRoutes(ctx: UseCaseContext, settings: RegistryWebhookSettings): Router {
  const r = Router();
  const doc = routeDocs(r, { tag: 'Webhooks', access: 'public' });
  const json = express.json({ limit: BODY_LIMIT, strict: true, type: JSON_TYPES });

  doc.post('/registry', {
    summary: 'A push notification of the image registry',
    description:
      'Called by the registry with `Authorization: Bearer {REGISTRY_WEBHOOK_TOKEN}` (checked before the body is read): the CNCF distribution registry\'s notification envelope (`application/vnd.docker.distribution.events.v2+json`), or Harbor\'s webhook payload for `PUSH_ARTIFACT`. Each push of a tagged image is recorded once; a push a build waits for (its repository, its commit as the tag) ends that build with the reported digest and starts its rollout. A push no build waits for is recorded and ignored; a redelivery changes nothing. 404 when no token is configured.',
    response: registryWebhookAnswerSchema,
    errors: [400, 401, 404, 413, 415],
  });
  r.post(
    '/registry',
    (req, _res, next) => {
      registryAuthorized(settings, req.get('authorization'));
      if (!req.is(JSON_TYPES)) throw new UnsupportedMediaTypeError('A registry notification is JSON (application/json or application/*+json).');
      next();
    },
    json,
    async (req, res) => {
      res.json(await receiveRegistryNotification(ctx, settings, req.body));
    },
  );
  return r;
}
