/** SQL about the `services` table that use cases and the pipeline share. */
import type { EntityManager } from 'typeorm';

/**
 * Locks the service's row until the caller's transaction ends: changes to one service
 * (pushes, rollbacks, env values, image retention) queue here and each sees the one before.
 */
export async function lockService(manager: EntityManager, serviceId: string): Promise<void> {
  await manager.query(`SELECT 1 FROM services WHERE id = $1 FOR UPDATE`, [serviceId]);
}
