/**
 * A deployment row as every reader gets it: the use cases' answers and the live events
 * the pipeline and the use cases publish. Below both, so neither imports the other.
 */
import type { DeploymentDto } from '@dangus/common';
import type { Deployment } from './entities/index.js';

/** Why this release cannot be restored (rolled back to), or null when it can. */
export function notRestorable(d: Pick<Deployment, 'status' | 'imageTag' | 'releaseConfig' | 'imageDeletedAt'>): string | null {
  if (d.status !== 'live' || d.imageTag === null) return 'This deployment never went live: only a release that ran can be restored.';
  if (d.imageDeletedAt) return 'The image of this release was deleted from the registry (older than the releases kept).';
  if (!d.releaseConfig) return 'This release went live before releases recorded their configuration: it cannot be restored whole.';
  return null;
}

export function toDeploymentDto(d: Deployment, withLogs = false): DeploymentDto {
  return {
    id: d.id,
    serviceId: d.serviceId,
    commitSha: d.commitSha,
    commitMessage: d.commitMessage,
    trigger: d.trigger,
    status: d.status,
    reason: d.reason,
    imageTag: d.imageTag,
    imageDigest: d.imageDigest,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    finishedAt: d.finishedAt?.toISOString() ?? null,
    rollbackOf: d.rollbackOf ?? null,
    restorable: notRestorable(d) === null,
    imageDeleted: Boolean(d.imageDeletedAt),
    ...(withLogs ? { buildLogs: d.buildLogs ?? '' } : {}),
  };
}
