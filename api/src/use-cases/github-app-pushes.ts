import { z } from 'zod';
import type { EventOutcome } from '../github/installations.js';
import { installationIdOf } from '../github/installations.js';
import { forgetPublicOnlyBindings } from '../github/repository-access.js';
import { WebhookDeliveryEntity } from '../db/entities/index.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { RedeliveryDto } from '@dangus/common';
import { redeliverGuid } from './github-app-deliveries.js';
import { buildRecorded } from './builds.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { findOwnedService } from './services.js';
import { isUuid } from './validate.js';
import { fanOutPush, type CompareFiles } from './push-fan-out.js';
import { answerOnce, COMPARE_TIMEOUT_MS, newestPush } from './webhooks.js';
import { decideDelivery, isStalePush, type WebhookDecision, type WebhookHeaders } from './webhook-rules.js';

/** What routing needs of a push: the repository by GitHub's id, and the ref. */
const pushTarget = z.object({
  ref: z.string().max(1024),
  // GitHub always sends `private`; a push without it is taken as a private repository's.
  repository: z.object({ id: z.number().int().positive(), full_name: z.string().min(1).max(300), private: z.boolean().default(true) }),
});

/**
 * The services an App event of `repository` concerns: those bound to its id, and, only when
 * the repository is public (anyone reads it), unbound ones whose URL names it. A private
 * repository's event never reaches a service nobody was shown to read it for
 * (use-cases/repository-binding.ts): its URL alone proves nothing, nor a binding made while
 * it was public (`github_repository_public_only`). `$3` is whether the repository is public.
 */
export const ROUTED_BY_REPOSITORY_SQL = `(s.github_repository_id = $1 AND ($3::boolean OR NOT s.github_repository_public_only))
         OR ($3::boolean AND s.github_repository_id IS NULL AND lower(regexp_replace(s.repo_url, '^https://github\\.com/|\\.git$', '', 'g')) = lower($2))`;

/** A service a push of its repository may concern. */
export interface RoutedService {
  id: string;
  repoUrl: string;
  branch: string;
  ownerStatus: 'active' | 'blocked';
  githubRepositoryId: string | null;
  /** Monorepo watch paths (issue 37): none, every push builds. */
  watchPaths: string[];
}

/**
 * A `push` on the App's webhook (docs/architecture.md#github-app): every service whose
 * repository is the pushed one (by GitHub's repository id, so a renamed or transferred
 * repository keeps routing; an unbound service is matched by its URL only when the repository
 * is public, and keeps the id from then on) and whose branch is the pushed one gets the delivery
 * through {@link deliverPushToService}, one service at a time: what one service decides
 * (a stale push, a blocked owner) changes nothing for another. A push nobody builds is
 * recorded on the App's deliveries and ignored.
 */
export async function routeAppPush(ctx: UseCaseContext, headers: WebhookHeaders, text: string, payload: unknown): Promise<EventOutcome> {
  const installationId = installationIdOf(payload);
  const parsed = pushTarget.safeParse(payload);
  if (!parsed.success) return { outcome: 'ignored', reason: 'not a push event GitHub sends', installationId, action: null };
  const { ref, repository } = parsed.data;
  const branch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null;
  if (repository.private) await forgetPublicOnlyBindings(ctx.db, [repository.id]);
  const services = await ctx.db.query<RoutedService[]>(
    `SELECT s.id, s.repo_url AS "repoUrl", s.branch, u.status AS "ownerStatus", s.github_repository_id::text AS "githubRepositoryId",
            s.watch_paths AS "watchPaths"
       FROM services s JOIN users u ON u.id = s.user_id
      WHERE ${ROUTED_BY_REPOSITORY_SQL}
      ORDER BY s.created_at, s.id`,
    [repository.id, repository.full_name, !repository.private],
  );
  const matching = services.filter((service) => branch !== null && service.branch === branch);
  if (matching.length === 0) {
    const reason = services.length === 0 ? `no service builds ${repository.full_name}` : `no service of ${repository.full_name} builds ${ref.slice(0, 200)}`;
    return { outcome: 'ignored', reason, installationId, action: null };
  }
  const decided: string[] = [];
  for (const service of matching) {
    try {
      decided.push(`${service.id}: ${await deliverPushToService(ctx, service, repository, headers, text)}`);
    } catch (error) {
      // One service's failure (its row locked away, a constraint) stops no other; GitHub's redelivery retries it.
      ctx.logger.warn({ serviceId: service.id, deliveryId: headers.deliveryId, err: error }, 'could not deliver an App push to a service');
      decided.push(`${service.id}: failed`);
    }
  }
  return { outcome: 'applied', reason: `routed to ${String(matching.length)} service${matching.length === 1 ? '' : 's'}`.concat(` (${decided.join('; ')})`).slice(0, 2000), installationId, action: null };
}

/**
 * One service's answer to a routed push, recorded on its deliveries with the decision
 * (the per-service endpoint's rules: `pushed_at` order, a redelivery answered once). The
 * decision of whether the push concerns the service at all is here, so a rule per service
 * (watch paths) adds to it. Returns the outcome recorded.
 */
export async function deliverPushToService(
  ctx: UseCaseContext,
  service: RoutedService,
  repository: { id: number; full_name: string; private?: boolean },
  headers: WebhookHeaders,
  text: string,
): Promise<string> {
  // A public repository's push binds an unbound service of its name (anyone reads it); a private one's never does.
  if (service.githubRepositoryId === null) {
    if (repository.private !== false) return 'ignored';
    await ctx.db.query(`UPDATE services SET github_repository_id = $2, github_repository_public_only = true WHERE id = $1 AND github_repository_id IS NULL`, [service.id, repository.id]);
  }
  // Matched by GitHub's id: the push's own name is the repository's name now (renamed or not).
  const target = { repoUrl: `https://github.com/${repository.full_name}`, branch: service.branch };
  let decision: WebhookDecision =
    service.ownerStatus === 'active'
      ? decideDelivery(target, headers.event, text)
      : blocked('the owner of this service is blocked on this platform: nothing is built');
  // Its watch paths (push-fan-out.ts), the compare API read with the App's token for the
  // repository; a replayed push is stale whatever it changed: GitHub is not asked about it.
  if (decision.outcome === 'deployed' && service.watchPaths.length > 0) {
    const push = { pushedAt: decision.pushedAt, commitSha: decision.build.commitSha };
    if (!isStalePush(push, await newestPush(ctx.db.manager, service.id))) {
      const [decided] = await fanOutPush([{ ...target, id: service.id, watchPaths: service.watchPaths }], decision.payload, appCompare(ctx, repository));
      if (decided) decision = decided.decision;
    }
  }
  const { answer, recorded } = await answerOnce(ctx, service.id, headers, decision, true);
  if (recorded) buildRecorded(ctx, recorded);
  return typeof answer.body.outcome === 'string' ? answer.body.outcome : decision.outcome;
}

/** GitHub's compare API with an installation token for the one repository (`contents: read`), within 5 s per delivery. */
function appCompare(ctx: UseCaseContext, repository: { id: number; full_name: string }): CompareFiles {
  const app = ctx.githubApp;
  const [owner, name] = repository.full_name.split('/');
  if (!app || !owner || !name) return null;
  const deadline = Date.now() + COMPARE_TIMEOUT_MS;
  return async (base, head) => {
    const { token } = await app.tokenForRepository(repository.id, { contents: 'read' });
    return ctx.github.compare(token, owner, name, base, head, { timeoutMs: Math.max(1, deadline - Date.now()) });
  };
}

function blocked(reason: string): WebhookDecision {
  return { outcome: 'ignored', reason, statusCode: 403, body: { outcome: 'ignored', reason } };
}

/**
 * "Redeliver" on the service page (`POST /api/services/:id/webhook-deliveries/:deliveryId/redeliver`):
 * GitHub sends an App delivery of this service again (`redeliverGuid`, as the System page's).
 * A redelivery keeps its GUID: what was already answered is answered the same and builds
 * nothing twice; one our endpoint failed to answer is answered now.
 */
export async function redeliverServiceDelivery(ctx: UseCaseContext, user: CurrentUser, serviceId: string, rowId: string): Promise<RedeliveryDto> {
  const { service } = await findOwnedService(ctx, user, serviceId);
  const row = isUuid(rowId) ? await ctx.db.getRepository(WebhookDeliveryEntity).findOneBy({ id: rowId, serviceId: service.id }) : null;
  if (!row) throw new NotFoundError('Webhook delivery');
  if (!row.viaApp) {
    throw new ConflictError("Only the GitHub App's deliveries are redelivered from here: redeliver this one from the repository webhook's Recent Deliveries on GitHub.");
  }
  return redeliverGuid(ctx, row.deliveryId);
}
