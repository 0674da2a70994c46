import { z } from 'zod';
import { REPO_URL_PATTERN, type ErrorBody } from '@dangus/common';

/*
 * What a signed GitHub delivery means for a service: pure functions of the
 * service's repository and branch, the event name and the body (docs/architecture.md#code-conventions).
 * The I/O (signature, rows, build) is in webhooks.ts.
 */

/** GitHub's delivery ids are GUIDs; anything printable of this charset fits the column. */
const DELIVERY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
/** GitHub's event names: `push`, `ping`, `pull_request`, … */
const EVENT = /^[a-z][a-z0-9_]{0,63}$/;
const SHA = /^[0-9a-f]{40}$/;
const ZERO_SHA = '0'.repeat(40);

/** The fields of a `push` payload a build needs; GitHub sends many more, which are ignored. */
const pushSchema = z.object({
  ref: z.string().min(1).max(1024, 'At most 1024 characters.'),
  after: z.string().regex(SHA, 'A 40-character lowercase hex commit SHA.'),
  deleted: z.boolean().optional(),
  head_commit: z.object({ message: z.string() }).nullable().optional(),
  repository: z.object({
    full_name: z.string().min(1).max(300, 'At most 300 characters.'),
    // When GitHub received the push (Unix seconds): orders pushes, so a replayed old one is stale.
    pushed_at: z.number().int().nonnegative(),
  }),
});

/** `ping` carries the hook's settings: a hook without `push` would never deploy. */
const pingSchema = z.object({ hook: z.object({ events: z.array(z.string()) }) });

export interface WebhookTarget {
  repoUrl: string;
  branch: string;
}

export interface WebhookHeaders {
  event: string;
  deliveryId: string;
}

/** What to record and answer for one authenticated delivery. */
export type WebhookDecision =
  | {
      outcome: 'deployed';
      reason: string;
      build: { commitSha: string; commitMessage: string | null };
      pushedAt: number;
      /** The push payload as parsed, for the watch paths (push-fan-out.ts). */
      payload: object;
    }
  | {
      outcome: 'ignored' | 'ping' | 'skipped';
      reason: string;
      statusCode: number;
      body: Record<string, unknown>;
      /** A skipped push: it still counts as the service's newest push (a replay of it is stale). */
      push?: { pushedAt: number; commitSha: string };
    };

/** The delivery headers, or the message of a ValidationError naming what is wrong. */
export function checkHeaders(event: string | undefined, deliveryId: string | undefined): WebhookHeaders | string {
  if (!event) return 'The X-GitHub-Event header is missing.';
  if (!EVENT.test(event)) return 'The X-GitHub-Event header is not a GitHub event name (lowercase letters, digits and "_", at most 64).';
  if (!deliveryId) return 'The X-GitHub-Delivery header is missing.';
  if (!DELIVERY_ID.test(deliveryId)) return 'The X-GitHub-Delivery header is not a delivery id (letters, digits, ".", "_", ":", "-", at most 100).';
  return { event, deliveryId };
}

/** A header value safe to store and show: printable ASCII, at most 100 characters. */
export function printable(value: string | undefined): string {
  return (value ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
}

/**
 * Decides what a delivery does: a push to `refs/heads/{branch}` of the
 * service's repository builds its `after` commit; everything else is answered
 * with the reason it built nothing. A body GitHub would not send is a 400,
 * recorded like any answer so that a redelivery gets the same one.
 */
export function decideDelivery(target: WebhookTarget, event: string, bodyText: string): WebhookDecision {
  let payload: unknown;
  try {
    payload = JSON.parse(bodyText);
  } catch {
    return invalid('The body is not valid JSON.');
  }
  return decidePayload(target, event, payload);
}

/** {@link decideDelivery} of a parsed body. */
export function decidePayload(target: WebhookTarget, event: string, payload: unknown): WebhookDecision {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return invalid('The body must be a JSON object.');
  }
  if (event === 'ping') return ping(target, payload);
  if (event !== 'push') return ignored(`event ${quote(event)} does not deploy; only push does`);

  const parsed = pushSchema.safeParse(payload);
  if (!parsed.success) {
    const fields = Object.create(null) as Record<string, string[]>;
    for (const issue of parsed.error.issues) (fields[issue.path.join('.') || '_'] ??= []).push(issue.message);
    return invalid('The push payload lacks fields GitHub always sends.', fields);
  }
  const push = parsed.data;
  const repo = repositoryOf(target.repoUrl);
  if (!repo) return ignored('the service has no valid GitHub repository URL');
  if (push.repository.full_name.toLowerCase() !== repo.toLowerCase()) {
    return ignored(`push to ${quote(push.repository.full_name)}, but the service builds ${repo}`);
  }
  if (push.ref.startsWith('refs/tags/')) {
    return ignored(`tag ${quote(push.ref.slice('refs/tags/'.length))} is not a branch; the service deploys branch ${quote(target.branch)}`);
  }
  if (!push.ref.startsWith('refs/heads/')) return ignored(`ref ${quote(push.ref)} is not a branch`);
  const branch = push.ref.slice('refs/heads/'.length);
  if (branch !== target.branch) return ignored(`branch ${quote(branch)} is not the service's branch ${quote(target.branch)}`);
  if (push.deleted === true || push.after === ZERO_SHA) return ignored(`branch ${quote(branch)} was deleted`);
  return {
    outcome: 'deployed',
    reason: `push of ${push.after.slice(0, 7)} to branch ${quote(branch)}`,
    build: {
      commitSha: push.after,
      // PostgreSQL text cannot hold NUL; the rest of the message is kept as sent.
      commitMessage: push.head_commit?.message.replaceAll('\u0000', '') ?? null,
    },
    pushedAt: push.repository.pushed_at,
    payload,
  };
}

/**
 * Whether a push is older than the newest one the service accepted: GitHub's
 * `repository.pushed_at` orders them (the same second orders nothing, so only
 * the very commit already built is stale then). A signed payload is visible in
 * GitHub's delivery log, so re-sending an old one must not roll a service back.
 */
export function isStalePush(
  push: { pushedAt: number; commitSha: string },
  newest: { pushedAt: number | null; commitSha: string | null },
): boolean {
  if (newest.pushedAt === null) return false;
  return push.pushedAt < newest.pushedAt || (push.pushedAt === newest.pushedAt && push.commitSha === newest.commitSha);
}

/** The answer to a push older than the service's newest. */
export function staleBody(push: { pushedAt: number; commitSha: string }, newest: { pushedAt: number | null; commitSha: string | null }) {
  const when = (seconds: number | null) => (seconds === null ? 'never' : new Date(seconds * 1000).toISOString());
  const sha7 = push.commitSha.slice(0, 7);
  const reason =
    push.commitSha === newest.commitSha && push.pushedAt === newest.pushedAt
      ? `stale push: ${sha7} is already the service's newest push`
      : `stale push: ${sha7} was pushed at ${when(push.pushedAt)}, before the service's newest push (${when(newest.pushedAt)})`;
  return { outcome: 'ignored', reason };
}

/** The answer to a delivery that built `deploymentId`. */
export function deployedBody(decision: Extract<WebhookDecision, { outcome: 'deployed' }>, deploymentId: string) {
  return { outcome: 'deployed', reason: decision.reason, deploymentId, status: 'pending', commitSha: decision.build.commitSha };
}

function ping(target: WebhookTarget, payload: object): WebhookDecision {
  const hook = pingSchema.safeParse(payload);
  const events = hook.success ? hook.data.hook.events : ['push'];
  const reason =
    events.includes('push') || events.includes('*')
      ? `the webhook is connected; pushes to branch ${quote(target.branch)} deploy`
      : 'the webhook is connected but not sent push events: choose "Just the push event" in its settings';
  return { outcome: 'ping', reason, statusCode: 200, body: { outcome: 'ping', reason } };
}

function ignored(reason: string): WebhookDecision {
  return { outcome: 'ignored', reason, statusCode: 200, body: { outcome: 'ignored', reason } };
}

function invalid(message: string, fields?: Record<string, string[]>): WebhookDecision {
  const error: ErrorBody = { error: { code: 'validation_failed', message, ...(fields ? { fields } : {}) } };
  const detail = fields ? ` ${Object.entries(fields).map(([path, messages]) => `${path}: ${messages.join(' ')}`).join('; ')}` : '';
  return { outcome: 'ignored', reason: `${message}${detail}`.slice(0, 1000), statusCode: 400, body: error as unknown as Record<string, unknown> };
}

/** `owner/repo` of a service's repository URL. */
function repositoryOf(repoUrl: string): string | null {
  const match = REPO_URL_PATTERN.exec(repoUrl);
  return match?.[1] && match[2] ? `${match[1]}/${match[2]}` : null;
}

/** A sender-chosen value inside a reason: quoted, escaped (no NUL, no newline) and clipped. */
function quote(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
}
