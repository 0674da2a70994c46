import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { ObjectStorageDriver } from './driver.js';

/** How often the leading controller looks for kept buckets whose grace period is over. */
const SWEEP_MS = 10 * 60_000;

/**
 * Deletes the kept buckets whose grace period is over (their objects, identity and keys),
 * then their rows. One bucket the backend cannot delete now is logged and retried at the
 * next pass; it stops no other. Returns how many went.
 */
export async function sweepExpiredBuckets(deps: { db: DataSource; driver: ObjectStorageDriver; logger: Logger }): Promise<number> {
  const rows: { id: string; bucket: string }[] = await deps.db.query(
    `SELECT id, bucket FROM service_buckets WHERE delete_after IS NOT NULL AND delete_after <= now() ORDER BY delete_after`,
  );
  let deleted = 0;
  for (const row of rows) {
    try {
      // Under the row's lock, as "delete now" and taking a kept bucket back: a bucket taken
      // back meanwhile (its row no longer expired) is skipped, one locked now is left to the next pass.
      const gone = await deps.db.transaction(async (manager) => {
        const locked: unknown[] = await manager.query(`SELECT 1 FROM service_buckets WHERE id = $1 AND delete_after <= now() FOR UPDATE SKIP LOCKED`, [row.id]);
        if (locked.length === 0) return false;
        await deps.driver.deleteBucket(row.bucket);
        await manager.query(`DELETE FROM service_buckets WHERE id = $1`, [row.id]);
        return true;
      });
      if (gone) deleted += 1;
    } catch (error) {
      deps.logger.warn({ bucket: row.bucket, err: error }, 'could not delete an expired bucket; retried at the next pass');
    }
  }
  if (deleted > 0) deps.logger.info({ deleted }, 'deleted the buckets whose grace period is over');
  return deleted;
}

/** The leading controller's pass, at its start and every ten minutes; `stop` waits for the pass under way. */
export function startBucketSweeper(deps: { db: DataSource; driver: ObjectStorageDriver; logger: Logger }): { sweep(): Promise<number>; stop(): Promise<void> } {
  let pass: Promise<number> = Promise.resolve(0);
  const sweep = () => {
    pass = pass.then(() => sweepExpiredBuckets(deps)).catch((error: unknown) => {
      deps.logger.warn({ err: error }, 'the bucket sweep failed');
      return 0;
    });
    return pass;
  };
  void sweep();
  const timer = setInterval(() => void sweep(), SWEEP_MS);
  timer.unref();
  return {
    sweep,
    async stop() {
      clearInterval(timer);
      await pass;
    },
  };
}
