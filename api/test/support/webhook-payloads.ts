import { createHmac, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { WebhookDefinition } from '@octokit/webhooks-examples';

/*
 * Real GitHub payloads (@octokit/webhooks-examples, recorded from github.com),
 * rewritten for a test repository and signed the way GitHub signs them.
 */

const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as WebhookDefinition[];

function example(name: string, pick: (payload: Record<string, unknown>) => boolean): string {
  const found = examples.find((d) => d.name === name)?.examples.find((e) => pick(e as unknown as Record<string, unknown>));
  if (!found) throw new Error(`@octokit/webhooks-examples has no matching ${name} example`);
  return JSON.stringify(found);
}

/** The example push of a new commit to a branch (head_commit set, not deleted). */
const PUSH = example('push', (p) => typeof p.ref === 'string' && p.ref.startsWith('refs/heads/') && p.deleted === false && p.head_commit !== null);
const PING = example('ping', () => true);

export interface PushOptions {
  /** `owner/repo` the payload is for. */
  repo: string;
  ref: string;
  after?: string;
  message?: string;
  deleted?: boolean;
  /** `repository.pushed_at`, Unix seconds (default: now). */
  pushedAt?: number;
}

/** A real push payload, its repository renamed to `repo` throughout, then the fields a build reads set. */
export function pushPayload(options: PushOptions): Record<string, unknown> {
  const [owner = '', name = ''] = options.repo.split('/');
  const payload = JSON.parse(
    PUSH.replaceAll('Codertocat/Hello-World', options.repo).replaceAll('"Hello-World"', JSON.stringify(name)).replaceAll('Codertocat', owner),
  ) as Record<string, unknown> & { head_commit: Record<string, unknown> | null };
  const after = options.after ?? randomSha();
  payload.ref = options.ref;
  payload.after = after;
  payload.deleted = options.deleted ?? false;
  (payload.repository as Record<string, unknown>).pushed_at = options.pushedAt ?? Math.floor(Date.now() / 1000);
  if (options.deleted) payload.head_commit = null;
  else if (payload.head_commit) Object.assign(payload.head_commit, { id: after, message: options.message ?? 'Add a feature' });
  return payload;
}

export function pingPayload(repo: string, events: string[] = ['push']): Record<string, unknown> {
  const payload = JSON.parse(PING.replaceAll('Octocoders/Hello-World', repo)) as Record<string, unknown> & { hook: Record<string, unknown> };
  payload.hook.events = events;
  return payload;
}

/** GitHub's X-Hub-Signature-256 of `body` with `secret`. */
export function sign(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The headers GitHub sends with a delivery of `event`. */
export function deliveryHeaders(secret: string, body: string | Buffer, event: string, deliveryId: string = randomUUID()): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'User-Agent': 'GitHub-Hookshot/test',
    'X-GitHub-Event': event,
    'X-GitHub-Delivery': deliveryId,
    'X-GitHub-Hook-ID': '109948940',
    'X-Hub-Signature-256': sign(secret, body),
  };
}

export function randomSha(): string {
  return Array.from({ length: 40 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');
}
