/**
 * What the registry reported of a build's image (use-cases/registry-events.ts records it):
 * its digest, as soon as the registry stored it, before the node reports that Kaniko ended.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { DataSource } from 'typeorm';

export interface ReportedPush {
  digest: string;
  /** When the registry stored it (its own clock). */
  occurredAt: Date;
}

/** The first push the registry reported for this deployment's build, if any. */
export async function reportedPush(db: DataSource, deploymentId: string): Promise<ReportedPush | null> {
  const rows: { digest: string; occurred_at: Date }[] = await db.query(
    `SELECT digest, occurred_at FROM registry_events WHERE deployment_id = $1 AND outcome = 'matched' ORDER BY received_at LIMIT 1`,
    [deploymentId],
  );
  const row = rows[0];
  return row ? { digest: row.digest, occurredAt: row.occurred_at } : null;
}

/** Kaniko's container has ended (any exit code), or the fetch before it failed: the registry's word no longer counts. */
export function kanikoEnded(pod: V1Pod | undefined): boolean {
  if (pod?.status?.initContainerStatuses?.some((c) => (c.state?.terminated?.exitCode ?? 0) !== 0)) return true;
  return pod?.status?.containerStatuses?.some((c) => c.name === 'kaniko' && c.state?.terminated !== undefined) ?? false;
}
