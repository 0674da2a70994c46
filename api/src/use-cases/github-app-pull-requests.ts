import { z } from 'zod';
import { installationIdOf, type EventOutcome } from '../github/installations.js';
import { forgetPublicOnlyBindings } from '../github/repository-access.js';
import type { UseCaseContext } from './context.js';
import { deliverPullRequest, PREVIEW_TARGET_SQL, type PreviewTarget } from './preview-events.js';
import type { WebhookHeaders } from './webhook-rules.js';
import { ROUTED_BY_REPOSITORY_SQL } from './github-app-pushes.js';

const pullTarget = z.object({
  pull_request: z.object({ base: z.object({ repo: z.object({ id: z.number().int().positive(), full_name: z.string().min(1).max(300), private: z.boolean().default(true) }) }) }),
});

/**
 * A `pull_request` on the App's webhook (issue 35): to every service of the pull request's
 * base repository (by GitHub's id, or by its URL only when it is public, as pushes), each deciding alone
 * (preview-events.ts); one service's failure stops no other.
 */
export async function routeAppPullRequest(ctx: UseCaseContext, headers: WebhookHeaders, payload: unknown): Promise<EventOutcome> {
  const installationId = installationIdOf(payload);
  const given = (payload as { action?: unknown } | null)?.action;
  const action = typeof given === 'string' ? given.slice(0, 100) : null;
  const parsed = pullTarget.safeParse(payload);
  if (!parsed.success) return { outcome: 'ignored', reason: 'not a pull_request event GitHub sends', installationId, action };
  const repository = parsed.data.pull_request.base.repo;
  if (repository.private) await forgetPublicOnlyBindings(ctx.db, [repository.id]);
  const services = await ctx.db.query<PreviewTarget[]>(
    `${PREVIEW_TARGET_SQL}
      WHERE (${ROUTED_BY_REPOSITORY_SQL})
        -- A blocked owner's services build nothing, previews included (as pushes and the per-service webhook).
        AND u.status = 'active'
      ORDER BY s.created_at, s.id`,
    [repository.id, repository.full_name, !repository.private],
  );
  if (services.length === 0) return { outcome: 'ignored', reason: `no service builds ${repository.full_name}`, installationId, action };
  const decided: string[] = [];
  for (const service of services) {
    try {
      const answer = await deliverPullRequest(ctx, service, headers, payload, true);
      decided.push(`${service.id}: ${typeof answer.body.outcome === 'string' ? answer.body.outcome : String(answer.status)}`);
    } catch (error) {
      ctx.logger.warn({ serviceId: service.id, deliveryId: headers.deliveryId, err: error }, 'could not deliver a pull request to a service');
      decided.push(`${service.id}: failed`);
    }
  }
  return { outcome: 'applied', reason: `routed to ${String(services.length)} service${services.length === 1 ? '' : 's'} (${decided.join('; ')})`.slice(0, 2000), installationId, action };
}
