/**
 * A service's infrastructure history: the state-repo commits that touched its files or
 * its tenant's shared ones, read from the repository (gitops-writer's StateHistory), and
 * one commit's diff on those paths only.
 */
import { type HistoryCommitDto, type HistoryDiffDto, type HistoryPageDto } from '@dangus/common';
import { isCommitId, type HistoryCommit } from '@dangus/gitops-writer/history';
import { z } from 'zod';
import { NotFoundError, UpstreamError, ValidationError } from '../errors.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { findOwnedService, projectNamespace } from './services.js';

export const HISTORY_PAGE_SIZE = 50;

/** `after:<sha>`, base64url: opaque to clients, checked (a commit of the repo) when it comes back. */
function encodeCursor(sha: string): string {
  return Buffer.from(`after:${sha}`).toString('base64url');
}

/** `GET /api/services/{serviceId}/history`' query. */
export const historyQuerySchema = z.object({
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/).optional().describe('The `nextCursor` of the previous page; the newest commits when absent.'),
});

function decodeCursor(cursor: unknown): string | null {
  if (cursor === undefined) return null;
  const text = typeof cursor === 'string' && historyQuerySchema.shape.cursor.safeParse(cursor).success ? Buffer.from(cursor, 'base64url').toString() : '';
  const sha = text.startsWith('after:') ? text.slice(6) : '';
  if (!isCommitId(sha)) throw new ValidationError('Not a history cursor: pass back the nextCursor of the previous page.', { cursor: ['Not a cursor this API gave.'] });
  return sha;
}

function toDto(commit: HistoryCommit): HistoryCommitDto {
  return {
    sha: commit.sha,
    subject: commit.subject,
    author: commit.author,
    committer: commit.committer,
    actor: commit.trailers.actor,
    deploymentId: commit.trailers.deploymentId,
    sourceCommit: commit.trailers.sourceCommit,
    files: commit.files,
  };
}

function historyOf(ctx: UseCaseContext): NonNullable<UseCaseContext['history']> {
  if (!ctx.history) throw new UpstreamError('The infrastructure history needs the state repo, which this process does not have.');
  return ctx.history;
}

export async function listHistory(ctx: UseCaseContext, user: CurrentUser, serviceId: string, cursor: unknown): Promise<HistoryPageDto> {
  const { service, project } = await findOwnedService(ctx, user, serviceId, 'read');
  const after = decodeCursor(cursor);
  const history = historyOf(ctx);
  const scope = { namespace: projectNamespace(user, project), service: service.name };
  let page;
  try {
    page = await history.page(scope, after, HISTORY_PAGE_SIZE);
  } catch (error) {
    if (after !== null && (error as Error).name === 'StateRepoError') {
      throw new ValidationError('Not a history cursor: pass back the nextCursor of the previous page.', { cursor: ['Not a commit of the state repo.'] });
    }
    throw error;
  }
  return { commits: page.commits.map(toDto), nextCursor: page.after === null ? null : encodeCursor(page.after) };
}

export async function getHistoryCommit(ctx: UseCaseContext, user: CurrentUser, serviceId: string, sha: string): Promise<HistoryDiffDto> {
  const { service, project } = await findOwnedService(ctx, user, serviceId, 'read');
  const found = isCommitId(sha)
    ? await historyOf(ctx).show({ namespace: projectNamespace(user, project), service: service.name }, sha)
    : null;
  if (!found) throw new NotFoundError('Commit');
  return { ...toDto(found.commit), diff: found.diff };
}
