import { timingSafeEqual } from 'node:crypto';
import type { WebhookDeliveryDto } from '@dangus/common';
import { Not, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { ForbiddenError, NotFoundError, UnauthorizedError, type AppError, UnsupportedMediaTypeError, ValidationError } from '../errors.js';
import { WebhookDeliveryEntity, type WebhookDelivery } from '../db/entities/index.js';
import { lockService } from '../db/services-repo.js';
import { buildRecorded, recordBuild, type RecordedBuild } from './builds.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import type { RefusalLimiter } from './refusal-limiter.js';
import { findOwnedService } from './services.js';
import { isUuid } from './validate.js';
import { servicePullRequest } from './preview-webhook.js';
import { isGitHubAccount } from '../auth/local-sign-in.js';
import { REPO_URL_PATTERN } from '@dangus/common';
import { fanOutPush, type CompareFiles } from './push-fan-out.js';
import {
  checkHeaders,
  decideDelivery,
  deployedBody,
  isStalePush,
  printable,
  staleBody,
  type WebhookDecision,
  type WebhookHeaders,
  type WebhookTarget,
} from './webhook-rules.js';

/** GitHub caps webhook payloads at 25 MB; larger bodies are refused before they are read. */
export const WEBHOOK_BODY_LIMIT = 25 * 1024 * 1024;
/** Anyone can send unsigned deliveries: only the newest ones per service are kept. */
const REJECTED_KEPT = 100;
const DELIVERIES_LISTED = 50;
/** GitHub waits 10 s for an answer: a comparison that takes longer is given up on (and the push builds). */
export const COMPARE_TIMEOUT_MS = 5_000;
/** GitHub's only signature form: `sha256=` and 64 hex digits. */
const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

/** A body as read: its HMAC-SHA256 with the service's secret, computed as it arrived, and its bytes. */
export interface SignedBody {
  hmac: Buffer;
  length: number;
  /** The bytes in one buffer, joined only when asked: a forged body is never copied. */
  bytes(): Buffer;
}

/** A delivery as the route received it: headers as sent; the body is read only once the service and a signature exist. */
export interface WebhookRequest {
  serviceId: string;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  signature: string | undefined;
  event: string | undefined;
  deliveryId: string | undefined;
  /** Reads the body (bounded in size, time and memory), hashing it with `secret` as it streams. */
  readBody(secret: string): Promise<SignedBody>;
}

export interface WebhookAnswer {
  status: number;
  body: Record<string, unknown>;
}

interface ServiceTarget extends WebhookTarget {
  id: string;
  webhookSecret: string;
  watchPaths: string[];
  ownerStatus: 'active' | 'blocked';
  /** The owner's GitHub token (encrypted), for the compare API; decrypted only when asked. */
  ownerToken: string;
  ownerGithubId: string;
}

interface StoredAnswer {
  status_code: number;
  response: Record<string, unknown>;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * `POST /webhooks/github/:serviceId` (issue 6): authenticates the delivery with
 * the service's secret, then answers it once. Nothing of the body is read before
 * the service is known and the delivery carries a signature, so anyone on the
 * internet costs one indexed lookup. The delivery row and the build it starts
 * commit together, so a redelivery (same X-GitHub-Delivery), even a concurrent
 * one, gets the stored answer and builds nothing; the pipeline takes the build
 * from its row, never from this request.
 */
export async function receiveGitHubWebhook(ctx: UseCaseContext, request: WebhookRequest, refusals: RefusalLimiter): Promise<WebhookAnswer> {
  if (request.contentEncoding !== undefined && request.contentEncoding.toLowerCase() !== 'identity') {
    throw new UnsupportedMediaTypeError('Send the request body uncompressed (no Content-Encoding).');
  }
  // Plain SQL: this is the hot path of every delivery, forged ones included.
  const [service] = isUuid(request.serviceId)
    ? await ctx.db.query<ServiceTarget[]>(
        `SELECT s.id, s.repo_url AS "repoUrl", s.branch, s.webhook_secret AS "webhookSecret", s.watch_paths AS "watchPaths",
                u.status AS "ownerStatus", u.github_access_token AS "ownerToken", u.github_id AS "ownerGithubId"
           FROM services s JOIN users u ON u.id = s.user_id WHERE s.id = $1`,
        [request.serviceId],
      )
    : [];
  if (!service) throw new NotFoundError('Service');
  const refuse = (error: AppError) => refused(ctx, refusals, service.id, request, error);
  if (service.ownerStatus !== 'active') {
    throw await refuse(new ForbiddenError('The owner of this service is blocked on this platform: nothing is built.', 'owner_blocked'));
  }

  const expected = signatureOf(request.signature);
  if (typeof expected !== 'object') throw await refuse(new UnauthorizedError(expected));
  const body = await request.readBody(ctx.encryptor.decrypt(service.webhookSecret));
  const signed = authenticate(body, expected);
  if (typeof signed !== 'string') throw await refuse(new UnauthorizedError(signed.problem));
  if (!isJson(request.contentType)) {
    const message = `The content type is ${JSON.stringify(printable(request.contentType))}: choose "application/json" as the webhook's Content type on GitHub.`;
    throw await refuse(new UnsupportedMediaTypeError(message));
  }
  const headers = checkHeaders(request.event, request.deliveryId);
  if (typeof headers === 'string') throw await refuse(new ValidationError(headers));

  // A pull request of the service's repository: its previews (issue 35).
  if (headers.event === 'pull_request') return servicePullRequest(ctx, service, headers, signed);
  let decision = decideDelivery(service, headers.event, signed);
  // Its watch paths: this service decides alone (the GitHub App's webhook fans one push out).
  // A replayed push is stale whatever it changed: GitHub is not asked about it.
  if (decision.outcome === 'deployed' && service.watchPaths.length > 0) {
    const push = { pushedAt: decision.pushedAt, commitSha: decision.build.commitSha };
    if (!isStalePush(push, await newestPush(ctx.db.manager, service.id))) {
      const [decided] = await fanOutPush([service], decision.payload, ownerCompare(ctx, service));
      if (decided) decision = decided.decision;
    }
  }
  const { answer, recorded } = await answerOnce(ctx, service.id, headers, decision);
  if (recorded) buildRecorded(ctx, recorded);
  // The row is the record of every delivery; a log line each would only cost the hot path.
  ctx.logger.debug({ serviceId: service.id, deliveryId: headers.deliveryId, event: headers.event, status: answer.status }, 'webhook delivery answered');
  return answer;
}

/** `GET /api/services/{serviceId}/webhook-deliveries`' query. */
export const deliveriesQuerySchema = z.object({
  outcome: z.enum(['accepted', 'rejected']).optional().describe('Only the accepted deliveries (answered from a valid signature) or only the refused ones; all when absent.'),
});

/**
 * The compare API with the service owner's token (anonymously for the local user, who has
 * none: a public repository only). The calls of one delivery (two for a force push) share
 * one budget of 5 s.
 */
function ownerCompare(ctx: UseCaseContext, service: ServiceTarget): CompareFiles {
  const repo = REPO_URL_PATTERN.exec(service.repoUrl);
  if (!repo?.[1] || !repo[2]) return null;
  const [owner, name] = [repo[1], repo[2]];
  const token = isGitHubAccount(service.ownerGithubId) ? service.ownerToken : null;
  const deadline = Date.now() + COMPARE_TIMEOUT_MS;
  return (base, head) =>
    ctx.github.compare(token === null ? null : ctx.encryptor.decrypt(token), owner, name, base, head, { timeoutMs: Math.max(1, deadline - Date.now()) });
}

/**
 * The service's newest deliveries (at most 50): all of them, or only the accepted
 * ones (answered from a valid signature) or the refused ones, so that a flood of
 * refused posts never hides the deliveries that built something.
 */
export async function listWebhookDeliveries(
  ctx: UseCaseContext,
  user: CurrentUser,
  serviceId: string,
  outcome?: unknown,
): Promise<WebhookDeliveryDto[]> {
  const { service } = await findOwnedService(ctx, user, serviceId, 'read');
  if (!deliveriesQuerySchema.shape.outcome.safeParse(outcome).success) {
    throw new ValidationError('outcome is accepted or rejected.', { outcome: ['Either accepted or rejected (or absent for all).'] });
  }
  const rows = await ctx.db.getRepository(WebhookDeliveryEntity).find({
    where: {
      serviceId: service.id,
      ...(outcome === 'rejected' ? { outcome: 'rejected' as const } : outcome === 'accepted' ? { outcome: Not('rejected' as const) } : {}),
    },
    order: { receivedAt: 'DESC', id: 'DESC' },
    take: DELIVERIES_LISTED,
  });
  return rows.map(toWebhookDeliveryDto);
}

export function toWebhookDeliveryDto(row: WebhookDelivery): WebhookDeliveryDto {
  return {
    id: row.id,
    deliveryId: row.deliveryId,
    event: row.event,
    outcome: row.outcome,
    reason: row.reason,
    statusCode: row.statusCode,
    deploymentId: row.deploymentId,
    viaApp: row.viaApp,
    receivedAt: row.receivedAt.toISOString(),
  };
}

/** The digest X-Hub-Signature-256 claims, or why there is none worth reading a body for. */
function signatureOf(header: string | undefined): Buffer | string {
  if (!header) return 'The X-Hub-Signature-256 header is missing: set the webhook\'s Secret to the one shown for the service.';
  const hex = SIGNATURE.exec(header)?.[1];
  return hex === undefined
    ? 'The X-Hub-Signature-256 signature does not match: the webhook\'s Secret must be the one shown for the service.'
    : Buffer.from(hex, 'hex');
}

/**
 * The body as text when its HMAC-SHA256 with the service's secret (computed as
 * it streamed) equals the signature, compared in constant time; else why not.
 */
function authenticate(body: SignedBody, expected: Buffer): string | { problem: string } {
  if (body.length === 0) return { problem: 'The request has no body; GitHub signs a JSON body.' };
  if (!timingSafeEqual(body.hmac, expected)) {
    return { problem: 'The X-Hub-Signature-256 signature does not match: the webhook\'s Secret must be the one shown for the service.' };
  }
  try {
    return strictUtf8.decode(body.bytes());
  } catch {
    return { problem: 'The body is not UTF-8, so it is not a GitHub delivery.' };
  }
}

function isJson(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/**
 * Records a delivery refused before it was understood (keeping only the newest
 * ones, and only as many as the limiter allows: anyone can send them) and
 * returns the error to answer it with.
 */
async function refused(ctx: UseCaseContext, refusals: RefusalLimiter, serviceId: string, request: WebhookRequest, error: AppError): Promise<AppError> {
  if (!refusals.take(serviceId)) {
    ctx.logger.debug({ serviceId, status: error.status }, 'webhook delivery refused, not recorded (refusal rate limit)');
    return error;
  }
  await ctx.db.query(
    `INSERT INTO webhook_deliveries (service_id, delivery_id, event, outcome, reason, status_code, response)
     VALUES ($1, $2, $3, 'rejected', $4, $5, $6)`,
    [
      serviceId,
      printable(request.deliveryId),
      printable(request.event),
      error.message,
      error.status,
      JSON.stringify({ error: { code: error.code, message: error.message } }),
    ],
  );
  // After the insert committed, one prune of the service at a time (its advisory lock):
  // each sees every row committed before it, so the last one leaves exactly the newest.
  await ctx.db.transaction(async (manager) => {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('webhook_refusals:' || $1, 0))`, [serviceId]);
    await manager.query(
      `DELETE FROM webhook_deliveries WHERE id IN (
         SELECT id FROM webhook_deliveries WHERE service_id = $1 AND outcome = 'rejected'
          ORDER BY received_at DESC, id DESC OFFSET $2)`,
      [serviceId, REJECTED_KEPT],
    );
  });
  ctx.logger.debug({ serviceId, status: error.status }, 'webhook delivery refused');
  return error;
}

/**
 * Inserts the delivery row unless its id was answered already (the partial
 * unique index; a concurrent twin waits for this transaction and then finds the
 * row), and for a build records it in the same transaction, in push order. The App's
 * webhook (github-app-pushes.ts) answers each service it routes a push to through here.
 */
export async function answerOnce(
  ctx: UseCaseContext,
  serviceId: string,
  headers: WebhookHeaders,
  decision: WebhookDecision,
  viaApp = false,
): Promise<{ answer: WebhookAnswer; recorded: RecordedBuild | null }> {
  const insert = async (manager: EntityManager, statusCode: number, body: Record<string, unknown>) => {
    const inserted = await manager.query<{ id: string }[]>(
      `INSERT INTO webhook_deliveries (service_id, delivery_id, event, outcome, reason, status_code, response, via_app)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (service_id, delivery_id) WHERE outcome <> 'rejected' DO NOTHING
       RETURNING id`,
      [serviceId, headers.deliveryId, headers.event, decision.outcome, decision.reason, statusCode, JSON.stringify(body), viaApp],
    );
    return inserted[0]?.id ?? null;
  };
  const stored = async (manager: EntityManager): Promise<WebhookAnswer> => {
    const [row] = await manager.query<StoredAnswer[]>(
      `SELECT status_code, response FROM webhook_deliveries WHERE service_id = $1 AND delivery_id = $2 AND outcome <> 'rejected'`,
      [serviceId, headers.deliveryId],
    );
    if (!row) throw new Error(`delivery ${headers.deliveryId} conflicted but is not stored`);
    return { status: row.status_code, body: row.response };
  };

  if (decision.outcome !== 'deployed') {
    const id = await insert(ctx.db.manager, decision.statusCode, decision.body);
    // A skipped push is the service's newest too, unless a newer one came first.
    if (id && decision.push) await recordPush(ctx.db.manager, serviceId, decision.push, true);
    return { answer: id ? { status: decision.statusCode, body: decision.body } : await stored(ctx.db.manager), recorded: null };
  }
  return ctx.db.transaction(async (manager) => {
    const id = await insert(manager, 202, {});
    if (!id) return { answer: await stored(manager), recorded: null };
    // The service row is locked until commit: concurrent pushes are ordered here.
    await lockService(manager, serviceId);
    const last = await newestPush(manager, serviceId);
    const push = { pushedAt: decision.pushedAt, commitSha: decision.build.commitSha };
    if (isStalePush(push, last)) {
      const body = staleBody(push, last);
      await manager.query(`UPDATE webhook_deliveries SET outcome = 'ignored', reason = $2, status_code = 200, response = $3 WHERE id = $1`, [
        id,
        body.reason,
        JSON.stringify(body),
      ]);
      return { answer: { status: 200, body }, recorded: null };
    }
    await recordPush(manager, serviceId, push);
    const recorded = await recordBuild(manager, { serviceId, ...decision.build, trigger: 'push' });
    const body = deployedBody(decision, recorded.deployment.id);
    await manager.query(`UPDATE webhook_deliveries SET deployment_id = $2, response = $3 WHERE id = $1`, [
      id,
      recorded.deployment.id,
      JSON.stringify(body),
    ]);
    return { answer: { status: 202, body }, recorded };
  });
}

/** The newest push the service accepted (built or skipped), by GitHub's `pushed_at`. */
export async function newestPush(manager: EntityManager, serviceId: string): Promise<{ pushedAt: number | null; commitSha: string | null }> {
  const [newest] = await manager.query<{ pushedAt: string; commitSha: string }[]>(
    `SELECT pushed_at AS "pushedAt", commit_sha AS "commitSha" FROM service_push_order WHERE service_id = $1`,
    [serviceId],
  );
  return { pushedAt: newest ? Number(newest.pushedAt) : null, commitSha: newest?.commitSha ?? null };
}

/** Makes `push` the service's newest push; `onlyNewer`: unless a newer one is recorded already. */
async function recordPush(manager: EntityManager, serviceId: string, push: { pushedAt: number; commitSha: string }, onlyNewer = false): Promise<void> {
  await manager.query(
    `INSERT INTO service_push_order (service_id, pushed_at, commit_sha) VALUES ($1, $2, $3)
     ON CONFLICT (service_id) DO UPDATE SET pushed_at = excluded.pushed_at, commit_sha = excluded.commit_sha
     ${onlyNewer ? 'WHERE service_push_order.pushed_at <= excluded.pushed_at' : ''}`,
    [serviceId, push.pushedAt, push.commitSha],
  );
}
