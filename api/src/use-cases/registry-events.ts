/**
 * The registry's push notifications (docs/architecture.md#builds, "the build's end"): the
 * registry says an image exists as soon as it stored it, about a second before the node
 * reports that Kaniko's container ended. Each push of a tagged image is recorded once, and a
 * push a build is waiting for (its repository and its commit's tag) is matched to that build
 * and the pipeline asked to look at it. The rollout still waits for the build's own Kaniko
 * and the digest it reports: every build of a tenant holds the tenant's push credential, so
 * another build of the project could have pushed that tag. A push no build waits for is
 * recorded and ignored.
 *
 * Matched only where a tenant's registry credential reaches its own repositories alone (the
 * per-tenant layout): with one shared robot, another tenant's build could push any tenant's tag.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { distributionEnvelopeSchema, harborPushSchema, type RegistryWebhookAnswerDto } from '@dangus/common';
import { imageRepository } from '@dangus/gitops-writer/names';
import { NotFoundError, UnauthorizedError, ValidationError } from '../errors.js';
import type { UseCaseContext } from './context.js';
import { parseInput } from './validate.js';

export interface RegistryWebhookSettings {
  /** The bearer token notifications must carry; none: the endpoint is off (404). */
  token: string | undefined;
  harborHost: string;
  harborProject: string;
  registryLayout: 'shared' | 'per-tenant';
}

/** One push of a tagged image, as either sender reports it. */
export interface RegistryPush {
  key: string;
  source: 'distribution' | 'harbor';
  repository: string;
  tag: string;
  digest: string;
  occurredAt: Date;
}

/** Recorded events older than this are deleted as new ones come. */
const RETENTION_DAYS = 7;
/** A build's image is tagged with its commit (templates/build-job.yaml: `{repository}:{commit_sha}`). */
const COMMIT_TAG = /^[0-9a-f]{40}$/;
/** Image manifests and indexes: a blob's push is not an image's. */
const MANIFEST = /manifest|image\.index|manifest\.list/;

/** Whether `authorization` is `Bearer <token>`, compared in constant time. */
export function registryAuthorized(settings: Pick<RegistryWebhookSettings, 'token'>, authorization: string | undefined): void {
  if (!settings.token) throw new NotFoundError('The registry webhook (REGISTRY_WEBHOOK_TOKEN is not set)');
  const digest = (value: string) => createHash('sha256').update(value).digest();
  if (!timingSafeEqual(digest(authorization ?? ''), digest(`Bearer ${settings.token}`))) {
    throw new UnauthorizedError('The registry notification does not carry the configured bearer token.');
  }
}

/** The pushes of tagged images a notification reports; every other event is passed over. */
export function registryPushes(body: unknown): RegistryPush[] {
  if (typeof body === 'object' && body !== null && 'events' in body) {
    const envelope = parseInput(distributionEnvelopeSchema, body);
    return envelope.events.flatMap((event) => {
      const { tag, digest, repository, mediaType } = event.target;
      if (event.action !== 'push' || !tag || !digest || (mediaType !== undefined && !MANIFEST.test(mediaType))) return [];
      return [{ key: `distribution:${event.id}`, source: 'distribution' as const, repository, tag, digest, occurredAt: new Date(event.timestamp) }];
    });
  }
  if (typeof body === 'object' && body !== null && 'event_data' in body) {
    const push = parseInput(harborPushSchema, body);
    if (push.type !== 'PUSH_ARTIFACT') return [];
    const repository = push.event_data.repository.repo_full_name;
    // Harbor's payload has no id: a redelivery repeats the same one, so its content names it.
    return push.event_data.resources.flatMap((resource) =>
      resource.tag
        ? [{ key: `harbor:${repository}:${resource.tag}:${resource.digest}:${String(push.occur_at)}`, source: 'harbor' as const, repository, tag: resource.tag, digest: resource.digest, occurredAt: new Date(push.occur_at * 1000) }]
        : [],
    );
  }
  throw new ValidationError('Some fields are invalid.', { events: ['A distribution notification envelope (events) or a Harbor webhook payload (event_data).'] });
}

interface Candidate {
  id: string;
  service_name: string;
  project_name: string;
  namespace: string;
}

/** The build waiting for this push: a build of the tag's commit, still pending or building, whose image is this repository. */
async function waitingBuild(ctx: UseCaseContext, settings: RegistryWebhookSettings, push: RegistryPush): Promise<string | null> {
  if (settings.registryLayout !== 'per-tenant' || !COMMIT_TAG.test(push.tag)) return null;
  const candidates: Candidate[] = await ctx.db.query(
    `SELECT d.id, s.name AS service_name, p.name AS project_name, p.namespace
       FROM deployments d
       JOIN services s ON s.id = d.service_id
       JOIN projects p ON p.id = s.project_id
       JOIN users u ON u.id = s.user_id
      WHERE d.commit_sha = $1 AND d.status IN ('pending', 'building') AND d.trigger IN ('push', 'manual')`,
    [push.tag],
  );
  const prefix = `${settings.harborHost}/`;
  const match = candidates.find(
    (c) => imageRepository(settings, c.namespace, c.service_name) === `${prefix}${push.repository}`,
  );
  return match?.id ?? null;
}

/**
 * Records each push once and asks the pipeline to look at a matched build. A redelivery (the
 * same event) changes nothing.
 */
export async function receiveRegistryNotification(
  ctx: UseCaseContext,
  settings: RegistryWebhookSettings,
  body: unknown,
): Promise<RegistryWebhookAnswerDto> {
  const pushes = registryPushes(body);
  const answer: RegistryWebhookAnswerDto = { pushes: pushes.length, matched: 0, duplicates: 0 };
  const kicked: string[] = [];
  for (const push of pushes) {
    const deploymentId = await waitingBuild(ctx, settings, push);
    const inserted: { deployment_id: string | null }[] = await ctx.db.query(
      `INSERT INTO registry_events (event_key, source, repository, tag, digest, occurred_at, deployment_id, outcome)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (event_key) DO NOTHING
       RETURNING deployment_id`,
      [push.key, push.source, push.repository, push.tag, push.digest, push.occurredAt, deploymentId, deploymentId ? 'matched' : 'unknown'],
    );
    if (inserted.length === 0) {
      answer.duplicates += 1;
      continue;
    }
    if (deploymentId) {
      answer.matched += 1;
      kicked.push(deploymentId);
      ctx.logger.info({ deploymentId, repository: push.repository, digest: push.digest }, 'the registry reported the build\'s image');
    } else {
      ctx.logger.debug({ repository: push.repository, tag: push.tag }, 'a registry push no build waits for: recorded and ignored');
    }
  }
  if (kicked.length > 0) ctx.pipeline?.kick(kicked);
  if (pushes.length > 0) await ctx.db.query(`DELETE FROM registry_events WHERE received_at < now() - make_interval(days => $1)`, [RETENTION_DAYS]);
  return answer;
}
