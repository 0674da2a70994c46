import { PREVIEW_APPROVAL_LABEL } from '@dangus/common';
import type { PreviewRow } from '../db/previews-repo.js';
import type { PreviewGitHub } from '../github/preview-github.js';
import type { UseCaseContext } from './context.js';

type ReportContext = Pick<UseCaseContext, 'db' | 'logger' | 'settings'>;

/** Each preview's reports go one at a time, so one comment is made and then edited. */
const chains = new Map<string, Promise<void>>();

/** A preview's address: its own host label under the wildcard. */
export function previewUrl(ctx: Pick<UseCaseContext, 'settings'>, host: string): string {
  return `${ctx.settings.publicScheme}://${host}.${ctx.settings.baseDomain}`;
}

/** The GitHub Deployment's environment of a preview. */
export function previewEnvironment(serviceName: string, number: number): string {
  return `preview/${serviceName}/pr-${String(number)}`;
}

const STATUS: Record<PreviewRow['state'], string> = {
  awaiting_approval: '⏸️ Waiting for a maintainer\'s approval',
  pending: '⏳ Building',
  building: '🔨 Building',
  live: '✅ Live',
  failed: '❌ Failed',
  refused: '🚫 Refused',
  closed: '🧹 Torn down',
  expired: '⌛ Expired and torn down',
};

/**
 * Plain text in GitHub markdown: every ASCII punctuation character backslash-escaped (so no
 * link, image, mention, autolink, HTML or table cell comes of it) and line breaks folded.
 * A reason carries users' values (a login, a label's sender) that a forged payload may choose.
 */
export function markdownText(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/[!-/:-@[-`{-~]/g, (c) => `\\${c}`);
}

/** The one comment's text: status, URL, build log link, last commit, and why (plain text of ours; user values only in code spans). */
export function previewComment(ctx: Pick<UseCaseContext, 'settings'>, serviceName: string, serviceId: string, row: PreviewRow): string {
  const ui = new URL(ctx.settings.webhookBaseUrl).origin;
  const open = row.closedAt === null && row.state !== 'refused' && row.state !== 'awaiting_approval';
  const lines = [
    `**Dangus Cloud preview** of \`${serviceName}\``,
    '',
    '| | |',
    '| --- | --- |',
    `| Status | ${STATUS[row.state]} |`,
    `| URL | ${open ? previewUrl(ctx, row.host) : '—'} |`,
    `| Build log | ${ui}/services/${serviceId}/previews/${String(row.number)} |`,
    `| Last commit | \`${row.headSha.slice(0, 7)}\` |`,
  ];
  if (row.reason) lines.push('', markdownText(row.reason));
  if (row.state === 'awaiting_approval') lines.push('', `A maintainer approves this commit with the \`${PREVIEW_APPROVAL_LABEL}\` label or from the service's page.`);
  return lines.join('\n');
}

/**
 * Tells GitHub about a preview (issue 35): the one comment on the pull request, created once
 * and edited in place after (its id on the row), and the GitHub Deployment `preview/{service}/pr-{n}`
 * (in progress, success with its `environment_url`, inactive once torn down). GitHub's
 * failures are logged and change nothing.
 */
export function reportPreview(ctx: ReportContext, github: PreviewGitHub | null, service: { id: string; name: string }, row: PreviewRow): Promise<void> {
  if (!github) return Promise.resolve();
  const previous = chains.get(row.id) ?? Promise.resolve();
  const next = previous.then(() => sendReport(ctx, github, service, row)).catch((error: unknown) => {
    ctx.logger.warn({ previewId: row.id, err: error }, 'could not report a preview to GitHub');
  });
  chains.set(row.id, next);
  void next.finally(() => {
    if (chains.get(row.id) === next) chains.delete(row.id);
  });
  return next;
}

async function sendReport(ctx: ReportContext, github: PreviewGitHub, service: { id: string; name: string }, row: PreviewRow): Promise<void> {
  const [ids] = await ctx.db.query<{ comment: string | null; deployment: string | null; deploymentSha: string | null }[]>(
    `SELECT github_comment_id::text AS comment, github_deployment_id::text AS deployment, github_deployment_sha AS "deploymentSha" FROM previews WHERE id = $1`,
    [row.id],
  );
  const commentId = await github.comment(row.number, ids?.comment ?? null, previewComment(ctx, service.name, service.id, row));
  await ctx.db.query(`UPDATE previews SET github_comment_id = $2 WHERE id = $1`, [row.id, commentId]);
  const state = row.closedAt !== null ? 'inactive' : row.state === 'live' ? 'success' : row.state === 'failed' ? 'failure' : row.state === 'pending' || row.state === 'building' ? 'in_progress' : null;
  if (state === null || (state === 'inactive' && !ids?.deployment)) return;
  const environment = previewEnvironment(service.name, row.number);
  let current = ids?.deployment ?? null;
  // A GitHub Deployment is of one commit: a new push ends the previous one and makes another.
  if (current !== null && state !== 'inactive' && ids?.deploymentSha !== row.headSha) {
    await github.deploymentStatus(current, ids?.deploymentSha ?? row.headSha, environment, 'inactive', null);
    current = null;
  }
  const deploymentId = await github.deploymentStatus(current, row.headSha, environment, state, state === 'success' ? previewUrl(ctx, row.host) : null);
  await ctx.db.query(`UPDATE previews SET github_deployment_id = $2, github_deployment_sha = $3 WHERE id = $1`, [row.id, deploymentId, row.headSha]);
}
