/**
 * A running service's logs for its owner (`GET /api/services/:id/logs/stream`): the query
 * checked (400 when out of range), the service found (404 for anyone else's), then lines
 * until the stream ends. Env values of the service are masked as in build logs.
 */
import { z } from 'zod';
import { NO_CLUSTER_REASON, requireCluster } from './service-abilities.js';
import type { RuntimeLogLine } from '../kube/runtime-logs.js';
import type { ServiceEvent } from '../kube/service-events.js';
import type { QuotaUsage } from '../kube/project-usage.js';
import type { ServiceMetricsDto } from '@dangus/common';
import { podOf } from './capacity.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { findOwnedService, projectNamespace } from './services.js';
import { findProject } from './projects.js';
import { parseInput } from './validate.js';

export const runtimeLogQuerySchema = z.strictObject({
  tail: z.coerce.number().int('A whole number of lines.').min(1, 'At least 1 line.').max(5000, 'At most 5,000 lines.').default(200),
  since: z.iso.datetime({ offset: true, error: 'An RFC 3339 time, e.g. 2026-11-30T12:00:00Z.' }).optional(),
  previous: z.enum(['true', 'false'], { error: 'true or false.' }).default('false'),
});

export type RuntimeLogQuery = z.infer<typeof runtimeLogQuerySchema>;

/** The checked query and the service, before a stream opens (errors are plain JSON answers). */
export async function prepareRuntimeLogs(ctx: UseCaseContext, user: CurrentUser, serviceId: string, query: unknown) {
  const params = parseInput(runtimeLogQuerySchema, query);
  const owned = await findOwnedService(ctx, user, serviceId, 'logs');
  requireCluster(ctx);
  return { params, ...owned };
}

export async function followRuntimeLogs(
  ctx: UseCaseContext,
  user: CurrentUser,
  prepared: Awaited<ReturnType<typeof prepareRuntimeLogs>>,
  send: (line: RuntimeLogLine) => void,
  signal: AbortSignal,
): Promise<void> {
  const env: { value: string }[] = await ctx.db.query(`SELECT value FROM env_vars WHERE service_id = $1`, [prepared.service.id]);
  await ctx.runtimeLogs?.stream(
    {
      namespace: projectNamespace(user, prepared.project),
      service: prepared.service.name,
      tail: prepared.params.tail,
      since: prepared.params.since ?? null,
      previous: prepared.params.previous === 'true',
      secrets: env.map((e) => ctx.encryptor.decrypt(e.value)),
    },
    send,
    signal,
  );
}

/** The service's Kubernetes Events, newest first, in plain words where known (`GET /api/services/:id/events`). */
export async function listServiceEvents(ctx: UseCaseContext, user: CurrentUser, serviceId: string): Promise<ServiceEvent[]> {
  const { service, project } = await findOwnedService(ctx, user, serviceId, 'logs');
  requireCluster(ctx);
  if (!ctx.serviceEvents) return [];
  return ctx.serviceEvents.list(projectNamespace(user, project), service.name);
}

/** The project's quota, used and hard, as the cluster counts it (`GET /api/projects/:id/usage`). */
export async function projectUsage(ctx: UseCaseContext, user: CurrentUser, projectId: string): Promise<QuotaUsage[]> {
  const { project } = await findProject(ctx, user, projectId, 'read');
  requireCluster(ctx);
  if (!ctx.projectUsage) return [];
  return ctx.projectUsage.of(projectNamespace(user, project));
}

/**
 * The service's CPU and memory over the last hour, with each pod's limits
 * (`GET /api/services/:id/metrics`). Looking starts sampling; without a cluster or a
 * metrics API the answer says why there are no figures.
 */
export async function serviceMetrics(ctx: UseCaseContext, user: CurrentUser, serviceId: string): Promise<ServiceMetricsDto> {
  const { service, project } = await findOwnedService(ctx, user, serviceId, 'read');
  const pod = podOf(ctx.capacity, service.size);
  const base = {
    intervalSeconds: ctx.metricsSampleMs / 1000,
    limits: { cpuMillicores: pod.limitsCpu, memoryBytes: pod.limitsMemory },
  };
  if (!ctx.serviceMetrics) {
    return { ...base, available: false, reason: NO_CLUSTER_REASON, samples: [] };
  }
  const window = await ctx.serviceMetrics.window(projectNamespace(user, project), service.name);
  return {
    ...base,
    available: window.available,
    reason: window.reason,
    samples: window.samples.map((sample) => ({ at: new Date(sample.at).toISOString(), pods: sample.pods })),
  };
}
