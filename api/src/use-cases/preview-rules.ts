import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { PREVIEW_APPROVAL_LABEL, type PreviewState } from '@dangus/common';
import type { PreviewFields, PreviewRow } from '../db/previews-repo.js';

/*
 * What a `pull_request` delivery means for a service's previews (issue 35): pure functions
 * of the service, the payload, the preview as stored and what GitHub said of the people
 * involved. The I/O (rows, GitHub, the commit) is in preview-events.ts.
 */

const SHA = /^[0-9a-f]{40}$/;
const repoRef = z.object({ id: z.number().int().positive(), full_name: z.string().min(1).max(300) });

/** The fields of a `pull_request` payload previews read; GitHub sends many more, which are ignored. */
export const pullRequestSchema = z.object({
  action: z.string().max(100),
  number: z.number().int().positive().max(2_147_483_647),
  pull_request: z.object({
    title: z.string().max(10_000),
    state: z.enum(['open', 'closed']),
    merged: z.boolean().nullable().optional(),
    updated_at: z.iso.datetime({ offset: true }),
    user: z.object({ login: z.string().min(1).max(100) }),
    head: z.object({ sha: z.string().regex(SHA, 'A 40-character lowercase hex commit SHA.'), ref: z.string().min(1).max(255), repo: repoRef.nullable() }),
    base: z.object({ ref: z.string().min(1).max(255), repo: repoRef }),
  }),
  sender: z.object({ login: z.string().min(1).max(100) }).optional(),
  label: z.object({ name: z.string().max(100) }).optional(),
});
export type PullRequestEvent = z.infer<typeof pullRequestSchema>;

/** The actions that ask for a build of the head commit. */
const BUILDS = new Set(['opened', 'reopened', 'synchronize']);

export interface PreviewService {
  branch: string;
  previewsEnabled: boolean;
  previewsMax: number;
}

/** What to do with a pull request event, before any row is read. */
export type PullRequestIntent =
  | { kind: 'ignore'; reason: string }
  | { kind: 'close'; reason: string }
  | { kind: 'build'; fork: boolean }
  | { kind: 'approve'; by: string };

export function intentOf(service: PreviewService, event: PullRequestEvent): PullRequestIntent {
  const pr = event.pull_request;
  const n = `#${String(event.number)}`;
  if (pr.base.ref !== service.branch) {
    return { kind: 'ignore', reason: `pull request ${n} targets branch "${pr.base.ref}", not the service's branch "${service.branch}"` };
  }
  if (event.action === 'closed') return { kind: 'close', reason: pr.merged ? `pull request ${n} was merged` : `pull request ${n} was closed` };
  if (!service.previewsEnabled) return { kind: 'ignore', reason: 'previews are off for this service' };
  if (event.action === 'labeled') {
    if (event.label?.name !== PREVIEW_APPROVAL_LABEL) return { kind: 'ignore', reason: `label "${event.label?.name ?? ''}" is not "${PREVIEW_APPROVAL_LABEL}"` };
    return { kind: 'approve', by: event.sender?.login ?? '' };
  }
  if (!BUILDS.has(event.action)) return { kind: 'ignore', reason: `action "${event.action}" changes no preview` };
  if (pr.state !== 'open') return { kind: 'ignore', reason: `pull request ${n} is not open` };
  if (pr.head.repo === null) return { kind: 'ignore', reason: `the head repository of pull request ${n} was deleted: nothing to build` };
  return { kind: 'build', fork: pr.head.repo.id !== pr.base.repo.id };
}

/** Whether GitHub's permission lets a login approve or build without approval. */
export function canWrite(permission: string | null): boolean {
  return permission === 'admin' || permission === 'write';
}

/**
 * The preview's next fields for an event that builds or approves: the head commit builds
 * when it is trusted (a same-repository author with write access, or a maintainer's approval
 * of this very commit: a fork's next push needs one again), and the service has room under
 * its cap; else it waits for an approval, or is refused. `now` is the clock (the time-to-live
 * counts from the last push).
 */
export function nextPreview(input: {
  event: PullRequestEvent;
  existing: PreviewRow | null;
  fork: boolean;
  /** The author's permission (same-repository pull requests), null when unknown. */
  authorPermission: string | null;
  approval: { by: string } | null;
  othersActive: number;
  max: number;
  now: Date;
}): PreviewFields {
  const { event, existing } = input;
  const pr = event.pull_request;
  const headSha = pr.head.sha;
  const pushed = !existing || existing.headSha !== headSha || existing.closedAt !== null;
  const approval = input.approval ?? (existing && existing.approvedSha === headSha && existing.approvedBy ? { by: existing.approvedBy } : null);
  const trusted = approval !== null || (!input.fork && canWrite(input.authorPermission));
  let state: PreviewState;
  let reason: string | null = null;
  if (!trusted) {
    state = 'awaiting_approval';
    reason = input.fork
      ? `a fork's commit ${headSha.slice(0, 7)} waits for a maintainer's approval (the "${PREVIEW_APPROVAL_LABEL}" label, or Approve on the platform)`
      : `${pr.user.login} has no write access to the repository: commit ${headSha.slice(0, 7)} waits for a maintainer's approval`;
  } else if (input.othersActive >= input.max) {
    state = 'refused';
    reason = `the service already has ${String(input.othersActive)} previews, its cap of ${String(input.max)}: close one, or raise the cap`;
  } else {
    state = existing && !pushed && existing.state !== 'awaiting_approval' && existing.state !== 'refused' ? existing.state : 'pending';
  }
  return {
    title: pr.title.slice(0, 1000),
    state,
    reason,
    headSha,
    headRef: pr.head.ref,
    headRepo: pr.head.repo?.full_name ?? null,
    fork: input.fork,
    author: pr.user.login,
    approvedSha: approval ? headSha : null,
    approvedBy: approval?.by ?? null,
    prUpdatedAt: new Date(pr.updated_at),
    lastPushAt: pushed ? input.now : existing.lastPushAt,
    closedAt: null,
  };
}

/** An event older than the one the preview was last changed by (GitHub's `updated_at`): a replay or a late delivery. */
export function isStale(event: PullRequestEvent, existing: PreviewRow | null): boolean {
  return existing !== null && new Date(event.pull_request.updated_at).getTime() < existing.prUpdatedAt.getTime();
}

const RANDOM_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** Random characters of a preview's host: 36^10, about 2^51, so the host cannot be guessed. */
const RANDOM_LENGTH = 10;

/**
 * A preview's host label, `{service}-pr{n}-{random}`: one DNS label (the wildcard certificate
 * covers it), at most 63 characters (the service's name is cut to fit) and unguessable.
 */
export function previewHost(serviceName: string, number: number, random: () => number = () => randomInt(RANDOM_ALPHABET.length)): string {
  const suffix = `-pr${String(number)}-${Array.from({ length: RANDOM_LENGTH }, () => RANDOM_ALPHABET.charAt(random())).join('')}`;
  const name = serviceName.slice(0, 63 - suffix.length).replace(/-+$/, '');
  return `${name}${suffix}`;
}

/** A maintainer's approval of the preview's current head commit (from the UI): it builds, room under the cap allowing. */
export function approvedPreview(existing: PreviewRow, by: string, othersActive: number, max: number): PreviewFields {
  const over = othersActive >= max;
  return {
    ...existing,
    approvedSha: existing.headSha,
    approvedBy: by,
    state: over ? 'refused' : 'pending',
    reason: over ? `the service already has ${String(othersActive)} previews, its cap of ${String(max)}: close one, or raise the cap` : null,
  };
}
