import { approvePreviewSchema, previewLogQuerySchema, type PreviewDto, type PreviewLogDto } from '@dangus/common';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import { activePreviews, listPreviews, lockPreview, updatePreview, type PreviewRow } from '../db/previews-repo.js';
import { lockService } from '../db/services-repo.js';
import { boundPreviewGitHub } from '../github/bound-preview-github.js';
import type { Service } from '../db/entities/index.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { previewChange, previewTarget } from './preview-events.js';
import { reportPreview, previewUrl } from './preview-reports.js';
import { approvedPreview, canWrite } from './preview-rules.js';
import { previewWithinQuota } from './preview-quota.js';
import { findOwnedService } from './services.js';
import { changeState } from '../state-repo/state-sink.js';
import { parseInput } from './validate.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export function toPreviewDto(ctx: Pick<UseCaseContext, 'settings'>, row: PreviewRow, ttlDays: number): PreviewDto {
  return {
    id: row.id,
    serviceId: row.serviceId,
    number: row.number,
    title: row.title,
    state: row.state,
    reason: row.reason,
    headSha: row.headSha,
    headRef: row.headRef,
    headRepo: row.headRepo,
    fork: row.fork,
    author: row.author,
    approvedBy: row.approvedSha === row.headSha ? row.approvedBy : null,
    needsApproval: row.state === 'awaiting_approval',
    url: previewUrl(ctx, row.host),
    lastPushAt: row.lastPushAt.toISOString(),
    expiresAt: row.closedAt === null ? new Date(row.lastPushAt.getTime() + ttlDays * DAY_MS).toISOString() : null,
    createdAt: row.createdAt.toISOString(),
    closedAt: row.closedAt?.toISOString() ?? null,
  };
}

/** `GET /api/services/:id/previews`: the open previews first, then the newest closed ones. */
export async function listServicePreviews(ctx: UseCaseContext, user: CurrentUser, serviceId: string): Promise<PreviewDto[]> {
  const { service } = await findOwnedService(ctx, user, serviceId, 'read');
  return (await listPreviews(ctx.db.manager, service.id)).map((row) => toPreviewDto(ctx, row, service.previewsTtlDays));
}

/**
 * `GET /api/services/:id/previews/:number/log`: the log of the preview's last build, as stored
 * while it streams (the pull request's comment links to its page), from `?from=` characters on
 * so that a page following it fetches only what is new. 404 before any build started.
 */
export async function previewBuildLog(ctx: UseCaseContext, user: CurrentUser, serviceId: string, numberParam: string, query: unknown): Promise<PreviewLogDto> {
  // Build logs are for developers and above, as a deployment's are (a viewer gets 403 with the reason).
  const { service } = await findOwnedService(ctx, user, serviceId, 'logs');
  const number = parseNumber(numberParam);
  const from = parseInput(previewLogQuerySchema, query ?? {}).from ?? 0;
  const [row] = await ctx.db.query<{ headSha: string; log: string; length: number; complete: boolean; building: boolean; startedAt: Date }[]>(
    `SELECT l.head_sha AS "headSha", substr(l.log, $3 + 1) AS log, length(l.log) AS length, l.complete, l.started_at AS "startedAt",
            (p.closed_at IS NULL AND p.head_sha = l.head_sha AND p.state IN ('pending', 'building')) AS building
       FROM previews p JOIN preview_build_logs l ON l.preview_id = p.id
      WHERE p.service_id = $1 AND p.pr_number = $2`,
    [service.id, number, from],
  );
  if (!row) throw new NotFoundError('Build log');
  // A build that was superseded or torn down mid-way ends where it stopped.
  return { number, headSha: row.headSha, from, log: row.log, length: row.length, complete: row.complete || !row.building, startedAt: row.startedAt.toISOString() };
}

function parseNumber(value: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(value) || Number(value) > 2_147_483_647) {
    throw new ValidationError('The pull request number is a whole number from 1.', { number: ['A pull request number.'] });
  }
  return Number(value);
}

/**
 * "Approve" on the service page: the owner, when GitHub says they may write to the repository
 * (asked through the App; without it the owner's word), approves the current head commit of a
 * preview waiting for one: the commit named in the body, the one the maintainer saw (409 when
 * the head moved since: the new one is approved on its own). A later push needs another approval.
 */
export async function approvePreview(ctx: UseCaseContext, user: CurrentUser, serviceId: string, numberParam: string, body: unknown): Promise<PreviewDto> {
  const { service } = await findOwnedService(ctx, user, serviceId);
  const number = parseNumber(numberParam);
  const { headSha } = parseInput(approvePreviewSchema, body);
  const github = await githubOf(ctx, service);
  if (github && !canWrite(await github.permission(user.githubUsername).catch(() => null))) {
    throw new ForbiddenError(`GitHub says ${user.githubUsername} has no write access to the repository: only a maintainer approves a preview.`, 'not_a_maintainer');
  }
  const target = await previewTarget(ctx.db.manager, service.id);
  if (!target) throw new NotFoundError('Service');
  const row = await changeState(ctx, async (manager) => {
    await lockService(manager, service.id);
    const existing = await lockPreview(manager, service.id, number);
    if (!existing || existing.closedAt !== null) throw new NotFoundError('Preview');
    if (existing.headSha !== headSha) {
      throw new ConflictError(`The head of #${String(number)} moved to ${existing.headSha.slice(0, 7)} since ${headSha.slice(0, 7)}: look at the new commit and approve it.`);
    }
    if (existing.state !== 'awaiting_approval') throw new ConflictError(`The preview of #${String(number)} is ${existing.state.replace('_', ' ')}: nothing waits for an approval.`);
    const approved = approvedPreview(existing, user.githubUsername, await activePreviews(manager, service.id, existing.id), service.previewsMax);
    const fields = await previewWithinQuota(manager, ctx.capacity, target, existing, approved);
    const updated = await updatePreview(manager, existing.id, fields);
    const summary = `pr #${String(number)} approved by ${user.githubUsername}: build ${existing.headSha.slice(0, 7)}`;
    return { value: updated, change: updated.state === 'pending' ? previewChange(target, summary) : null };
  });
  await reportPreview(ctx, github, service, row);
  return toPreviewDto(ctx, row, service.previewsTtlDays);
}

/** "Tear down": the preview closes and its objects leave git in one commit; a new push of the pull request opens it again. */
export async function tearDownPreview(ctx: UseCaseContext, user: CurrentUser, serviceId: string, numberParam: string): Promise<PreviewDto> {
  const { service } = await findOwnedService(ctx, user, serviceId);
  const number = parseNumber(numberParam);
  const target = await previewTarget(ctx.db.manager, service.id);
  if (!target) throw new NotFoundError('Service');
  const row = await changeState(ctx, async (manager) => {
    await lockService(manager, service.id);
    const existing = await lockPreview(manager, service.id, number);
    if (!existing) throw new NotFoundError('Preview');
    if (existing.closedAt !== null) throw new ConflictError(`The preview of #${String(number)} is already torn down.`);
    const updated = await updatePreview(manager, existing.id, { ...existing, state: 'closed', reason: `torn down by ${user.githubUsername}`, closedAt: new Date() });
    return { value: updated, change: previewChange(target, `pr #${String(number)} torn down by ${user.githubUsername}`) };
  });
  await reportPreview(ctx, await githubOf(ctx, service), service, row);
  return toPreviewDto(ctx, row, service.previewsTtlDays);
}

async function githubOf(ctx: UseCaseContext, service: Service) {
  // The service's proven binding only, and never one shown only by publicness (github/bound-preview-github.ts).
  return (await boundPreviewGitHub(ctx, service.id)).github;
}
