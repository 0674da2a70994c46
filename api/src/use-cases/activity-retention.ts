/**
 * The activity log's retention (issue 36): entries older than `ACTIVITY_RETENTION_DAYS`
 * (a setting, 90 days by default) are deleted by the leading controller, at its start and
 * every hour; never by a request, so a write's transaction does no housekeeping and one
 * replica alone prunes. `now` is handed in, so a test's clock decides what is old.
 */
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';

const HOUR_MS = 3_600_000;

/** Deletes the entries older than `days` before `now`; returns how many went. */
export async function pruneActivity(db: DataSource, days: number, now: Date = new Date()): Promise<number> {
  const [, deleted]: [unknown, number] = await db.query(
    `DELETE FROM activity_log WHERE created_at < $1::timestamptz - make_interval(days => $2)`,
    [now.toISOString(), days],
  );
  return deleted;
}

/** The leader's schedule: a pass now and every `periodMs`. Returns the pass on demand and the stop. */
export function startActivityRetention(deps: { db: DataSource; days: number; logger: Logger; periodMs?: number }): {
  prune: (now?: Date) => Promise<number>;
  stop: () => void;
} {
  const prune = (now?: Date) => pruneActivity(deps.db, deps.days, now);
  const run = () =>
    void prune().then(
      (deleted) => {
        if (deleted > 0) deps.logger.info({ deleted, days: deps.days }, 'activity log entries past their retention deleted');
      },
      (err: unknown) => deps.logger.warn({ err }, 'activity log retention failed'),
    );
  run();
  const timer = setInterval(run, deps.periodMs ?? HOUR_MS);
  timer.unref();
  return { prune, stop: () => clearInterval(timer) };
}
