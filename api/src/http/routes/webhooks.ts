import { Router, type Request, type Response } from 'express';
import { appWebhookAnswerSchema, webhookAnswerSchema } from '@dangus/common';
import { routeDocs } from '../openapi/describe.js';
import type { UseCaseContext } from '../../use-cases/context.js';
import { RefusalLimiter } from '../../use-cases/refusal-limiter.js';
import { WEBHOOK_BODY_LIMIT, receiveGitHubWebhook } from '../../use-cases/webhooks.js';
import { receiveAppWebhook } from '../../use-cases/github-app-webhooks.js';
import { ByteBudget } from '../byte-budget.js';
import { readSignedBody } from '../webhook-body.js';

export interface WebhookRouteOptions {
  /** Time for a whole body to arrive (default 30 s): a trickled body is cut there. */
  bodyTimeoutMs?: number;
  /** Bytes of webhook bodies held in memory at once, over all requests (default 32 MiB). */
  bodyBudgetBytes?: number;
  /** The clock of the refusal limiter's refill, in milliseconds (Date.now by default): a test moves it by hand. */
  refusalClock?: () => number;
}

/** After an answer given before the body was read, how long its remaining bytes may keep the connection. */
const DRAIN_GRACE_MS = 1_000;

/**
 * `/webhooks/*`, called by GitHub: no session, no Origin check. The route reads
 * no body itself: the use case asks for it once the service exists and the
 * delivery is signed, and it is read raw (any content type, never inflated),
 * under a size limit, a deadline and a memory budget shared by all deliveries.
 */
export function webhookRoutes(ctx: UseCaseContext, options: WebhookRouteOptions = {}): Router {
  const r = Router();
  const doc = routeDocs(r, { tag: 'Webhooks', access: 'public' });
  const limits = {
    maxBytes: WEBHOOK_BODY_LIMIT,
    timeoutMs: options.bodyTimeoutMs ?? 30_000,
    budget: new ByteBudget(options.bodyBudgetBytes ?? 32 * 1024 * 1024),
  };
  const refusals = options.refusalClock ? new RefusalLimiter(undefined, undefined, options.refusalClock) : new RefusalLimiter();

  // The GitHub App's one webhook (docs/architecture.md#github-app).
  doc.post('/github', { summary: 'A delivery to the GitHub App\'s webhook', description: 'Called by GitHub, signed with the App\'s webhook secret (`X-Hub-Signature-256` over the raw body, checked before anything else). Installation events keep the installations current; an event for an unknown installation is recorded and ignored (202). 404 when no App exists.', response: appWebhookAnswerSchema, otherAnswers: { 202: { description: 'Recorded and ignored.', schema: appWebhookAnswerSchema } }, errors: [400, 401, 404, 408, 413, 415] });
  r.post('/github', async (req, res) => {
    dropUnreadBody(req, res);
    const answer = await receiveAppWebhook(ctx, {
      contentType: req.get('content-type'),
      contentEncoding: req.get('content-encoding'),
      signature: req.get('x-hub-signature-256'),
      event: req.get('x-github-event'),
      deliveryId: req.get('x-github-delivery'),
      readBody: (secret) => readSignedBody(req, secret, limits),
    });
    res.status(answer.status).json(answer.body);
  });

  doc.post('/github/:serviceId', { summary: 'A GitHub webhook delivery', description: 'Called by GitHub, signed with the service\'s webhook secret (`X-Hub-Signature-256`, HMAC-SHA256 of the raw body); `X-GitHub-Event` and `X-GitHub-Delivery` are required. A redelivery gets the same answer and builds nothing new. The body is GitHub\'s push (or ping) payload, `application/json`, at most 25 MB.', status: 202, response: webhookAnswerSchema, answers: 'A push to the service\'s branch: a build is queued (`outcome` `deployed`).', otherAnswers: { 200: { description: 'Nothing is built: a push to another branch, a stale push, a tag, another event (`ignored`), or GitHub\'s ping (`ping`).', schema: webhookAnswerSchema } }, errors: [400, 401, 403, 408, 413, 415] });
  r.post('/github/:serviceId', async (req, res) => {
    dropUnreadBody(req, res);
    const answer = await receiveGitHubWebhook(
      ctx,
      {
        serviceId: req.params.serviceId,
        contentType: req.get('content-type'),
        contentEncoding: req.get('content-encoding'),
        signature: req.get('x-hub-signature-256'),
        event: req.get('x-github-event'),
        deliveryId: req.get('x-github-delivery'),
        readBody: (secret) => readSignedBody(req, secret, limits),
      },
      refusals,
    );
    res.status(answer.status).json(answer.body);
  });

  return r;
}

/**
 * An answer may go before the body was read (unknown service, no signature, too
 * large, too slow). Once the answer is out, the rest of the body is read and
 * dropped for a short grace, so an honest client gets to read the answer, and a
 * client still sending after it is cut off.
 */
function dropUnreadBody(req: Request, res: Response): void {
  res.on('finish', () => {
    if (req.complete) return;
    const cut = setTimeout(() => req.socket.destroy(), DRAIN_GRACE_MS);
    cut.unref();
    req.on('end', () => clearTimeout(cut));
    req.resume();
  });
}
