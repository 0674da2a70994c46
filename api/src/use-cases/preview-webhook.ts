import { REPO_URL_PATTERN } from '@dangus/common';
import type { UseCaseContext } from './context.js';
import { deliverPullRequest, previewTarget } from './preview-events.js';
import type { WebhookAnswer } from './webhooks.js';
import type { WebhookHeaders } from './webhook-rules.js';

/**
 * A signed `pull_request` on the per-service webhook (when the repository's hook sends that
 * event): a pull request of the service's own repository goes to its previews, anything else
 * is recorded and ignored.
 */
export async function servicePullRequest(ctx: UseCaseContext, service: { id: string; repoUrl: string }, headers: WebhookHeaders, text: string): Promise<WebhookAnswer> {
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    payload = null;
  }
  const base = (payload as { pull_request?: { base?: { repo?: { full_name?: unknown } } } } | null)?.pull_request?.base?.repo?.full_name;
  const match = REPO_URL_PATTERN.exec(service.repoUrl);
  const own = match?.[1] && match[2] ? `${match[1]}/${match[2]}` : null;
  const target = await previewTarget(ctx.db.manager, service.id);
  if (!target) return { status: 404, body: { outcome: 'ignored', reason: 'the service is gone' } };
  if (typeof base === 'string' && own !== null && base.toLowerCase() !== own.toLowerCase()) {
    const reason = `pull request of ${JSON.stringify(base.slice(0, 300))}, but the service builds ${own}`;
    await ctx.db.query(
      `INSERT INTO webhook_deliveries (service_id, delivery_id, event, outcome, reason, status_code, response)
       VALUES ($1, $2, $3, 'ignored', $4, 200, $5) ON CONFLICT (service_id, delivery_id) WHERE outcome <> 'rejected' DO NOTHING`,
      [service.id, headers.deliveryId, headers.event, reason, JSON.stringify({ outcome: 'ignored', reason })],
    );
    return { status: 200, body: { outcome: 'ignored', reason } };
  }
  return deliverPullRequest(ctx, target, headers, payload, false);
}
