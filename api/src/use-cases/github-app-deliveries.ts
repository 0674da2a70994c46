import type { AppDeliveryDto, RedeliveryDto } from '@dangus/common';
import { ConflictError, NoGitHubAppError, NotFoundError, UpstreamError } from '../errors.js';
import type { UseCaseContext } from './context.js';

/*
 * The App webhook's deliveries on the System page (admins): what each one did, and
 * "Redeliver", which asks GitHub to send a delivery again (GitHub's redelivery API, as the
 * App). GitHub keeps its delivery log for three days; an older delivery cannot be sent again.
 */

/** How many of GitHub's delivery pages are searched for the one to send again (100 each). */
const PAGES_SEARCHED = 10;

export type AppDeliveryView = AppDeliveryDto;

/** The App webhook's last 50 deliveries, newest first. */
export async function listAppDeliveries(ctx: UseCaseContext): Promise<AppDeliveryView[]> {
  const rows = await ctx.db.query<{ id: string; delivery_id: string | null; event: string; action: string | null; installation_id: string | null; outcome: 'applied' | 'ignored'; reason: string; received_at: Date }[]>(
    `SELECT id::text, delivery_id, event, action, installation_id::text, outcome, reason, received_at
       FROM github_app_deliveries ORDER BY id DESC LIMIT 50`,
  );
  return rows.map((r) => ({
    id: r.id,
    deliveryId: r.delivery_id,
    event: r.event,
    action: r.action,
    installationId: r.installation_id === null ? null : Number(r.installation_id),
    outcome: r.outcome,
    reason: r.reason,
    receivedAt: r.received_at.toISOString(),
  }));
}

/**
 * Asks GitHub to send the delivery recorded as `id` again: its GUID is looked up in the
 * App's delivery log (`GET /app/hook/deliveries`, as the App), then
 * `POST /app/hook/deliveries/{id}/attempts`. The delivery arrives again at the webhook like
 * any other (and is recorded again, with what it did then).
 */
export async function redeliverAppDelivery(ctx: UseCaseContext, id: string): Promise<RedeliveryDto> {
  if (!/^\d{1,18}$/.test(id)) throw new NotFoundError('Delivery');
  if (!(await ctx.githubApp?.credentials())) throw new NoGitHubAppError();
  const [row] = await ctx.db.query<{ delivery_id: string | null }[]>(`SELECT delivery_id FROM github_app_deliveries WHERE id = $1`, [id]);
  if (!row) throw new NotFoundError('Delivery');
  const guid = row.delivery_id;
  if (!guid) throw new ConflictError('This delivery carried no X-GitHub-Delivery id: GitHub cannot send it again.');
  return redeliverGuid(ctx, guid);
}

/**
 * Asks GitHub to send the App delivery `guid` again: looked up in the App's delivery log
 * (`GET /app/hook/deliveries`, as the App), then `POST /app/hook/deliveries/{id}/attempts`.
 * Also the service page's "Redeliver" (github-app-pushes.ts).
 */
export async function redeliverGuid(ctx: UseCaseContext, guid: string): Promise<RedeliveryDto> {
  const octokit = await ctx.githubApp?.appOctokit();
  if (!octokit) throw new NoGitHubAppError();
  let hookDeliveryId: number | undefined;
  try {
    let pages = 0;
    for await (const page of octokit.paginate.iterator(octokit.rest.apps.listWebhookDeliveries, { per_page: 100 })) {
      // The newest attempt of that GUID (a redelivery keeps it).
      hookDeliveryId = page.data.find((d) => d.guid === guid)?.id;
      pages += 1;
      if (hookDeliveryId !== undefined || pages >= PAGES_SEARCHED) break;
    }
  } catch (error) {
    throw new UpstreamError(`GitHub could not list the App's deliveries${statusText(error)}.`, { cause: error });
  }
  if (hookDeliveryId === undefined) {
    throw new ConflictError('GitHub no longer has this delivery (it keeps them for three days): it cannot be sent again.');
  }
  try {
    await octokit.rest.apps.redeliverWebhookDelivery({ delivery_id: hookDeliveryId });
  } catch (error) {
    throw new UpstreamError(`GitHub refused to send the delivery again${statusText(error)}.`, { cause: error });
  }
  ctx.logger.info({ deliveryId: guid }, 'App webhook delivery sent again');
  return { redelivered: true, deliveryId: guid };
}

function statusText(error: unknown): string {
  const status = (error as { status?: number }).status;
  return status ? ` (HTTP ${String(status)})` : '';
}
