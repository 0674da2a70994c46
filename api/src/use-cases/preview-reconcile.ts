import { closePreview, expirePreviews, type PreviewRow } from '../db/previews-repo.js';
import type { PendingChange } from '../state-repo/state-sink.js';
import { boundPreviewGitHub } from '../github/bound-preview-github.js';
import { fullNameOf } from '../github/repository-access.js';
import { changeState } from '../state-repo/state-sink.js';
import { deliverPullRequest, previewChange, previewTarget, PREVIEW_TARGET_SQL, type PreviewContext, type PreviewTarget } from './preview-events.js';
import { reportPreview } from './preview-reports.js';

interface ReconciledService extends PreviewTarget {
  githubRepositoryId: string | null;
}

/** What one reconcile did, for the log and the tests. */
export interface PreviewReconcileResult {
  expired: number;
  opened: number;
  closed: number;
  failedServices: number;
}

/**
 * The leading controller's periodic work for previews (issue 35), with the clock handed in:
 * previews whose time-to-live after their last push passed are torn down (one commit each),
 * and for every service with previews on whose repository the App holds, the open pull
 * requests against its branch are read from GitHub: one without an open preview is delivered
 * as if its `opened` (or `synchronize`) had come, a preview whose pull request is no longer
 * open is closed. A missed webhook thus neither leaves a preview behind nor misses one; one
 * service's failure (GitHub down, a bad row) stops no other.
 */
export async function reconcilePreviews(ctx: PreviewContext, now: Date): Promise<PreviewReconcileResult> {
  const result: PreviewReconcileResult = { expired: 0, opened: 0, closed: 0, failedServices: 0 };
  const { expired, pending } = await ctx.db.transaction(async (manager) => {
    const rows = await expirePreviews(manager, now);
    const changes: PendingChange[] = [];
    for (const row of rows) {
      const service = await previewTarget(manager, row.serviceId);
      if (service) changes.push(await ctx.stateSink.record(manager, previewChange(service, `pr #${String(row.number)} expired: tear down`)));
    }
    return { expired: rows, pending: changes };
  });
  for (const change of pending) await ctx.stateSink.settle(change);
  result.expired = expired.length;
  for (const row of expired) await report(ctx, row);

  const services = await ctx.db.query<ReconciledService[]>(
    `${PREVIEW_TARGET_SQL.replace('SELECT ', 'SELECT s.github_repository_id::text AS "githubRepositoryId", ')}
      WHERE s.previews_enabled AND s.github_repository_id IS NOT NULL AND u.status = 'active' ORDER BY s.created_at, s.id`,
  );
  for (const service of services) {
    try {
      const counted = await reconcileService(ctx, service);
      result.opened += counted.opened;
      result.closed += counted.closed;
    } catch (error) {
      result.failedServices += 1;
      ctx.logger.warn({ serviceId: service.id, err: error }, 'could not reconcile the previews of a service');
    }
  }
  return result;
}

async function reconcileService(ctx: PreviewContext, service: ReconciledService): Promise<{ opened: number; closed: number }> {
  const name = fullNameOf(service.repoUrl);
  if (!name || service.githubRepositoryId === null) return { opened: 0, closed: 0 };
  const { github } = await boundPreviewGitHub(ctx, service.id);
  if (!github) return { opened: 0, closed: 0 };
  const pulls = await github.openPulls(service.branch);
  const rows = await ctx.db.query<{ number: number; headSha: string; open: boolean; pullClosed: boolean; closedMs: string | null }[]>(
    `SELECT pr_number AS number, head_sha AS "headSha", closed_at IS NULL AS open, pull_closed AS "pullClosed",
            (extract(epoch FROM closed_at) * 1000)::bigint::text AS "closedMs"
       FROM previews WHERE service_id = $1`,
    [service.id],
  );
  const open = rows.filter((row) => row.open);
  let opened = 0;
  for (const pull of pulls) {
    const head = (pull.payload.head as { sha?: unknown } | undefined)?.sha;
    const known = rows.find((p) => p.number === pull.number);
    // Closed with its pull request, which is open again: a missed `reopened`.
    const reopened = known !== undefined && !known.open && known.pullClosed;
    // Its head is the preview's already (open, or expired or torn down until a new push).
    if (known && known.headSha === head && !reopened) continue;
    // A delivery id per pull request, head and action: a later reconcile of the same is answered once.
    const action = reopened ? 'reopened' : known ? 'synchronize' : 'opened';
    const headers = { event: 'pull_request', deliveryId: `reconcile-${String(pull.number)}-${String(head).slice(0, 40)}${reopened ? `-reopened-${String(known.closedMs)}` : ''}` };
    const payload = { action, number: pull.number, pull_request: pull.payload, sender: pull.payload.user };
    const answer = await deliverPullRequest(ctx, service, headers, payload, true);
    if (answer.body.outcome === 'deployed') opened += 1;
  }
  let closed = 0;
  for (const gone of open.filter((p) => !pulls.some((pull) => pull.number === p.number))) {
    const row = await changeState(ctx, async (manager) => {
      const done = await closePreview(manager, service.id, gone.number, 'the pull request is no longer open (found by the reconcile)');
      return { value: done, change: done ? previewChange(service, `pr #${String(gone.number)} no longer open: tear down`) : null };
    });
    if (row) {
      closed += 1;
      await reportPreview(ctx, github, service, row);
    }
  }
  return { opened, closed };
}

async function report(ctx: PreviewContext, row: PreviewRow): Promise<void> {
  const service = await previewTarget(ctx.db.manager, row.serviceId);
  const [repo] = await ctx.db.query<{ repoUrl: string; id: string | null }[]>(`SELECT repo_url AS "repoUrl", github_repository_id::text AS id FROM services WHERE id = $1`, [row.serviceId]);
  const name = repo ? fullNameOf(repo.repoUrl) : null;
  if (!service || !name || !repo?.id) return;
  await reportPreview(ctx, (await boundPreviewGitHub(ctx, row.serviceId)).github, service, row);
}

/** The leader's timer of {@link reconcilePreviews}, one run at a time, with the wall clock. */
export function startPreviewReconcile(ctx: PreviewContext, periodMs: number): NodeJS.Timeout {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    reconcilePreviews(ctx, new Date())
      .then((result) => {
        if (result.expired + result.opened + result.closed + result.failedServices > 0) ctx.logger.info(result, 'previews reconciled');
      })
      .catch((error: unknown) => ctx.logger.warn({ err: error }, 'previews reconcile failed'))
      .finally(() => {
        running = false;
      });
  }, periodMs);
  timer.unref();
  return timer;
}
