import type { EntityManager } from 'typeorm';
import { lockService } from '../db/services-repo.js';
import { activePreviews, insertPreview, lockPreview, markPullClosed, updatePreview, type PreviewRow } from '../db/previews-repo.js';
import type { PreviewGitHub } from '../github/preview-github.js';
import { boundPreviewGitHub } from '../github/bound-preview-github.js';
import type { PendingChange, TenantChange } from '../state-repo/state-sink.js';
import type { UseCaseContext } from './context.js';
import { canWrite, intentOf, isStale, nextPreview, previewHost, pullRequestSchema, type PullRequestEvent } from './preview-rules.js';
import { reportPreview } from './preview-reports.js';
import { previewWithinQuota } from './preview-quota.js';
import type { WebhookAnswer } from './webhooks.js';
import type { WebhookHeaders } from './webhook-rules.js';

/** What previews' event handling touches: also the leading controller's reconcile, which has no request context. */
export type PreviewContext = Pick<UseCaseContext, 'db' | 'stateSink' | 'githubApp' | 'logger' | 'settings' | 'capacity'>;

/** A service a pull request event may concern, with what its commit needs. */
export interface PreviewTarget {
  id: string;
  name: string;
  branch: string;
  repoUrl: string;
  projectId: string;
  projectName: string;
  userId: string;
  ownerLogin: string;
  ownerHash: string;
  /** The project's pinned namespace. */
  namespace: string;
  previewsEnabled: boolean;
  previewsMax: number;
}

export const PREVIEW_TARGET_SQL = `SELECT s.id, s.name, s.branch, s.repo_url AS "repoUrl", s.project_id AS "projectId", p.name AS "projectName",
       s.user_id AS "userId", u.github_username AS "ownerLogin", u.hash AS "ownerHash", p.namespace,
       s.previews_enabled AS "previewsEnabled", s.previews_max AS "previewsMax"
  FROM services s JOIN projects p ON p.id = s.project_id JOIN users u ON u.id = s.user_id`;

export async function previewTarget(manager: EntityManager, serviceId: string): Promise<PreviewTarget | null> {
  const [row] = await manager.query<PreviewTarget[]>(`${PREVIEW_TARGET_SQL} WHERE s.id = $1`, [serviceId]);
  return row ?? null;
}

/** The state-repo change of a preview (`preview(ns/svc): pr #12 …`), by the service's owner. */
export function previewChange(service: PreviewTarget, summary: string): TenantChange {
  return {
    projectId: service.projectId,
    namespace: service.namespace,
    serviceName: service.name,
    verb: 'preview',
    summary,
    actor: { userId: service.userId, githubUsername: service.ownerLogin },
  };
}

/**
 * A `pull_request` delivery for one service (the App's webhook routes it to each service of
 * the repository; the per-service webhook brings its own): recorded on the service's
 * deliveries once per delivery id, then what it means (preview-rules.ts) applied under the
 * service's row lock: a build of the head commit, an approval, a teardown, or nothing with the
 * reason. GitHub is asked who may write before the transaction, and told after it.
 */
export async function deliverPullRequest(
  ctx: PreviewContext,
  service: PreviewTarget,
  headers: WebhookHeaders,
  payload: unknown,
  viaApp: boolean,
): Promise<WebhookAnswer> {
  const parsed = pullRequestSchema.safeParse(payload);
  if (!parsed.success) {
    const fields = Object.create(null) as Record<string, string[]>;
    for (const issue of parsed.error.issues) (fields[issue.path.join('.') || '_'] ??= []).push(issue.message);
    const body = { error: { code: 'validation_failed', message: 'The pull_request payload lacks fields GitHub always sends.', fields } };
    return record(ctx.db.manager, service.id, headers, viaApp, 'ignored', body.error.message, 400, body);
  }
  const event = parsed.data;
  const intent = intentOf(service, event);
  const repository = event.pull_request.base.repo;
  // Only the service's proven binding, and only when the payload names that repository (never the payload's id).
  const bound = intent.kind === 'ignore' ? null : await boundPreviewGitHub(ctx, service.id, repository.id);
  const github = bound?.github ?? null;
  if (bound?.why) ctx.logger.info({ serviceId: service.id, deliveryId: headers.deliveryId }, `a pull request's preview is not reported to GitHub: ${bound.why}`);
  // Who may write, asked before any row is locked (a network call).
  const authorPermission = intent.kind === 'build' && !intent.fork ? await permissionOf(ctx, github, event.pull_request.user.login) : null;
  const approverPermission = intent.kind === 'approve' ? await permissionOf(ctx, github, intent.by) : null;

  // What the transaction changed, read after it.
  const done: { changed: PreviewRow | null; pending: PendingChange | null } = { changed: null, pending: null };
  const answer = await ctx.db.transaction(async (manager): Promise<WebhookAnswer> => {
    const ignored = (reason: string) => record(manager, service.id, headers, viaApp, 'ignored', reason, 200, { outcome: 'ignored', reason });
    if (intent.kind === 'ignore') return ignored(intent.reason);
    const claimed = await claim(manager, service.id, headers, viaApp);
    if (claimed) return claimed;
    await lockService(manager, service.id);
    const existing = await lockPreview(manager, service.id, event.number);
    const n = `#${String(event.number)}`;
    if (intent.kind === 'close') {
      if (!existing || existing.closedAt !== null) return settle(manager, service.id, headers, 'ignored', `${intent.reason}, but it has no open preview: nothing to tear down`);
      const closed = await updatePreview(manager, existing.id, { ...existing, state: 'closed', reason: intent.reason, prUpdatedAt: laterOf(existing.prUpdatedAt, event), closedAt: new Date() });
      done.changed = await markPullClosed(manager, closed.id);
      done.pending = await ctx.stateSink.record(manager, previewChange(service, `pr ${n} closed: tear down`));
      return settle(manager, service.id, headers, 'deployed', `preview of ${n} torn down`);
    }
    if (isStale(event, existing)) return settle(manager, service.id, headers, 'ignored', `a stale event of ${n}: the preview has a newer one`);
    // A late `synchronize` or `labeled` (sent before the close, delivered after) never reopens it.
    if (existing?.pullClosed && existing.closedAt !== null && event.action !== 'reopened') {
      return settle(manager, service.id, headers, 'ignored', `pull request ${n} is closed: its preview opens again only when it is reopened`);
    }
    if (intent.kind === 'approve' && !canWrite(approverPermission)) {
      return settle(manager, service.id, headers, 'ignored', `${intent.by} has no write access to the repository, so the label approves nothing`);
    }
    if (intent.kind === 'approve' && event.pull_request.head.repo === null) return settle(manager, service.id, headers, 'ignored', `the head repository of ${n} was deleted`);
    const fork = event.pull_request.head.repo !== null && event.pull_request.head.repo.id !== repository.id;
    const next = nextPreview({
      event,
      existing,
      fork,
      authorPermission,
      approval: intent.kind === 'approve' ? { by: intent.by } : null,
      othersActive: await activePreviews(manager, service.id, existing?.id ?? null),
      max: service.previewsMax,
      now: new Date(),
    });
    const fields = await previewWithinQuota(manager, ctx.capacity, service, existing, next);
    done.changed = existing ? await updatePreview(manager, existing.id, fields) : await insertWithHost(manager, service, event, fields);
    const building = fields.state === 'pending' && (existing?.state !== 'pending' || existing.headSha !== fields.headSha);
    if (building || (existing !== null && existing.closedAt === null && fields.state !== existing.state)) {
      done.pending = await ctx.stateSink.record(manager, previewChange(service, `pr ${n} ${building ? `build ${fields.headSha.slice(0, 7)}` : fields.state.replace('_', ' ')}`));
    }
    return settle(manager, service.id, headers, fields.state === 'pending' ? 'deployed' : 'ignored', `preview of ${n}: ${fields.state}${fields.reason ? ` (${fields.reason})` : ''}`);
  });
  if (done.pending) await ctx.stateSink.settle(done.pending);
  if (bound?.why && done.changed) await noteNotReported(ctx, service.id, headers, bound.why);
  if (done.changed) await reportPreview(ctx, github, service, done.changed);
  return answer;
}

/** The newer of the preview's last event time and this event's (GitHub's `updated_at`). */
function laterOf(stored: Date, event: PullRequestEvent): Date {
  const at = new Date(event.pull_request.updated_at);
  return at.getTime() > stored.getTime() ? at : stored;
}

/** Says on the delivery why GitHub was neither asked nor told. */
async function noteNotReported(ctx: PreviewContext, serviceId: string, headers: WebhookHeaders, why: string): Promise<void> {
  await ctx.db.query(
    `UPDATE webhook_deliveries SET reason = left(reason || $3, 2000) WHERE service_id = $1 AND delivery_id = $2 AND outcome <> 'rejected'`,
    [serviceId, headers.deliveryId, `; GitHub not asked or told: ${why}`],
  );
}

async function permissionOf(ctx: PreviewContext, github: PreviewGitHub | null, login: string): Promise<string | null> {
  if (!github || login === '') return null;
  try {
    return await github.permission(login);
  } catch (error) {
    ctx.logger.warn({ login, err: error }, 'GitHub could not say who may write: the pull request waits for an approval');
    return null;
  }
}

async function insertWithHost(manager: EntityManager, service: PreviewTarget, event: PullRequestEvent, fields: Parameters<typeof insertPreview>[4]): Promise<PreviewRow> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const row = await insertPreview(manager, service.id, event.number, previewHost(service.name, event.number), fields);
    if (row) return row;
  }
  throw new Error('could not draw a free preview host in 5 attempts');
}

/** Inserts the delivery's row, or the stored answer when its id was answered already (a redelivery). */
async function claim(manager: EntityManager, serviceId: string, headers: WebhookHeaders, viaApp: boolean): Promise<WebhookAnswer | null> {
  const inserted = await manager.query<{ id: string }[]>(
    `INSERT INTO webhook_deliveries (service_id, delivery_id, event, outcome, reason, status_code, response, via_app)
     VALUES ($1, $2, $3, 'ignored', 'received', 202, '{}', $4)
     ON CONFLICT (service_id, delivery_id) WHERE outcome <> 'rejected' DO NOTHING RETURNING id`,
    [serviceId, headers.deliveryId, headers.event, viaApp],
  );
  if (inserted[0]) return null;
  const [row] = await manager.query<{ status_code: number; response: Record<string, unknown> }[]>(
    `SELECT status_code, response FROM webhook_deliveries WHERE service_id = $1 AND delivery_id = $2 AND outcome <> 'rejected'`,
    [serviceId, headers.deliveryId],
  );
  return { status: row?.status_code ?? 200, body: row?.response ?? {} };
}

async function settle(manager: EntityManager, serviceId: string, headers: WebhookHeaders, outcome: 'deployed' | 'ignored', reason: string): Promise<WebhookAnswer> {
  const status = outcome === 'deployed' ? 202 : 200;
  const body = { outcome, reason };
  await manager.query(
    `UPDATE webhook_deliveries SET outcome = $3, reason = $4, status_code = $5, response = $6 WHERE service_id = $1 AND delivery_id = $2 AND outcome <> 'rejected'`,
    [serviceId, headers.deliveryId, outcome, reason, status, JSON.stringify(body)],
  );
  return { status, body };
}

async function record(
  manager: EntityManager,
  serviceId: string,
  headers: WebhookHeaders,
  viaApp: boolean,
  outcome: 'ignored',
  reason: string,
  status: number,
  body: Record<string, unknown>,
): Promise<WebhookAnswer> {
  await manager.query(
    `INSERT INTO webhook_deliveries (service_id, delivery_id, event, outcome, reason, status_code, response, via_app)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (service_id, delivery_id) WHERE outcome <> 'rejected' DO NOTHING`,
    [serviceId, headers.deliveryId, headers.event, outcome, reason, status, JSON.stringify(body), viaApp],
  );
  return { status, body };
}
