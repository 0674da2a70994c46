/** SQL about the `deployments` table that use cases and the pipeline share. */
import type { EntityManager } from 'typeorm';

/** Every reason a superseded deployment ends with starts so (see {@link supersededReason}). */
const SUPERSEDED = 'superseded';

/** "superseded by <what>": the reason of a deployment a newer one ended. */
export function supersededReason(by: string): string {
  return `${SUPERSEDED} by ${by}`;
}

/** Whether a failed deployment ended because a newer one superseded it. */
export function wasSuperseded(reason: string | null | undefined): boolean {
  return reason?.startsWith(SUPERSEDED) ?? false;
}

/**
 * Ends, `failed` with `reason`, every build of the service still `pending` or `building`:
 * a newer deployment supersedes them. `sparing: 'config'` leaves configuration rollouts
 * alone (a push does). Runs in the caller's transaction, the service row locked first
 * (services-repo.ts `lockService`); returns the ids of the rows it ended.
 */
export async function supersedeUnfinished(
  manager: EntityManager,
  serviceId: string,
  reason: string,
  options: { sparing?: 'config' } = {},
): Promise<string[]> {
  const sparing = options.sparing === 'config' ? `AND trigger <> 'config'` : '';
  const ended: { id: string }[] = await manager.query(
    `UPDATE deployments
        SET status = 'failed', reason = $2, finished_at = now(), updated_at = now()
      WHERE service_id = $1 ${sparing} AND status IN ('pending', 'building')
      RETURNING id`,
    [serviceId, reason],
  );
  return ended.map((row) => row.id);
}
