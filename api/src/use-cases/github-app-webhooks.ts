import { Webhooks } from '@octokit/webhooks';
import { applyInstallationEvent, installationIdOf, type EventOutcome } from '../github/installations.js';
import { NotFoundError, UnauthorizedError, UnsupportedMediaTypeError, ValidationError } from '../errors.js';
import type { UseCaseContext } from './context.js';
import { routeAppPush } from './github-app-pushes.js';
import { routeAppPullRequest } from './github-app-pull-requests.js';
import { checkHeaders, type WebhookHeaders } from './webhook-rules.js';
import type { SignedBody, WebhookAnswer } from './webhooks.js';

/** The App's deliveries kept (newest first); older ones are dropped as new ones come. */
const APP_DELIVERIES_KEPT = 1000;
const SIGNATURE = /^sha256=[0-9a-f]{64}$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A delivery to the App's endpoint as the route received it; the body is read once a signature exists. */
export interface AppWebhookRequest {
  contentType: string | undefined;
  contentEncoding: string | undefined;
  signature: string | undefined;
  event: string | undefined;
  deliveryId: string | undefined;
  readBody(secret: string): Promise<SignedBody>;
}

/**
 * `POST /webhooks/github`: the one webhook of the GitHub App. The signature is checked
 * with the App's webhook secret over the raw bytes (`@octokit/webhooks`) before anything
 * of the body is used; then `installation` and `installation_repositories` events update
 * the installation rows, and every signed delivery is recorded with what it did (an event
 * for an unknown installation: recorded and ignored).
 */
export async function receiveAppWebhook(ctx: UseCaseContext, request: AppWebhookRequest): Promise<WebhookAnswer> {
  const credentials = await ctx.githubApp?.credentials();
  if (!credentials) throw new NotFoundError('GitHub App');
  if (request.contentEncoding !== undefined && request.contentEncoding.toLowerCase() !== 'identity') {
    throw new UnsupportedMediaTypeError('Send the request body uncompressed (no Content-Encoding).');
  }
  if (!request.signature || !SIGNATURE.test(request.signature)) throw new UnauthorizedError('The delivery has no valid X-Hub-Signature-256.');
  const body = await request.readBody(credentials.webhookSecret);
  let text: string;
  try {
    text = strictUtf8.decode(body.bytes());
  } catch {
    throw new UnauthorizedError('The signature does not match the body.');
  }
  if (!(await new Webhooks({ secret: credentials.webhookSecret }).verify(text, request.signature))) {
    throw new UnauthorizedError('The signature does not match the body.');
  }
  if (!/^application\/json\s*(;|$)/i.test(request.contentType ?? '')) throw new UnsupportedMediaTypeError('The App webhook sends application/json.');
  const event = request.event && /^[a-z_]{1,50}$/.test(request.event) ? request.event : undefined;
  if (!event) throw new ValidationError('The X-GitHub-Event header is missing or malformed.', { 'x-github-event': ['Required.'] });
  const deliveryId = request.deliveryId && request.deliveryId.length <= 100 ? request.deliveryId : null;
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    throw new ValidationError('The body is not JSON.');
  }
  const outcome: EventOutcome =
    event === 'ping'
      ? { outcome: 'applied', reason: 'ping', installationId: installationIdOf(payload), action: null }
      : event === 'push'
        ? await routeAppPush(ctx, pushHeaders(event, request.deliveryId), text, payload)
        : event === 'pull_request'
          ? await routeAppPullRequest(ctx, pushHeaders(event, request.deliveryId), payload)
          : await applyInstallationEvent(ctx.db, event, payload);
  await ctx.db.query(
    `INSERT INTO github_app_deliveries (delivery_id, event, action, installation_id, outcome, reason) VALUES ($1, $2, $3, $4, $5, $6)`,
    [deliveryId, event, outcome.action, outcome.installationId, outcome.outcome, outcome.reason],
  );
  await ctx.db.query(
    `DELETE FROM github_app_deliveries WHERE id <= (SELECT id FROM github_app_deliveries ORDER BY id DESC OFFSET $1 LIMIT 1)`,
    [APP_DELIVERIES_KEPT],
  );
  ctx.logger.debug({ deliveryId, event, outcome: outcome.outcome, reason: outcome.reason }, 'App webhook delivery answered');
  return { status: outcome.outcome === 'applied' ? 200 : 202, body: { outcome: outcome.outcome, reason: outcome.reason } };
}

/** A push is answered once per delivery id (a redelivery builds nothing twice): it must carry one. */
function pushHeaders(event: string, deliveryId: string | undefined): WebhookHeaders {
  const headers = checkHeaders(event, deliveryId);
  if (typeof headers === 'string') throw new ValidationError(headers, { 'x-github-delivery': [headers] });
  return headers;
}
