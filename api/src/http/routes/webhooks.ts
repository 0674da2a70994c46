import express, { Router } from 'express';
import type { UseCaseContext } from '../../use-cases/context.js';
import { WEBHOOK_BODY_LIMIT, receiveGitHubWebhook } from '../../use-cases/webhooks.js';

/**
 * `/webhooks/*`, called by GitHub: no session, no Origin check. The body is read
 * raw (any content type, never inflated) because the signature covers its bytes.
 */
export function webhookRoutes(ctx: UseCaseContext): Router {
  const r = Router();
  const raw = express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT, inflate: false });

  r.post('/github/:serviceId', raw, async (req, res) => {
    const answer = await receiveGitHubWebhook(ctx, {
      serviceId: req.params.serviceId,
      contentType: req.get('content-type'),
      signature: req.get('x-hub-signature-256'),
      event: req.get('x-github-event'),
      deliveryId: req.get('x-github-delivery'),
      body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    });
    res.status(answer.status).json(answer.body);
  });

  return r;
}
