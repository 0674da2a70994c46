import type { DataSource } from 'typeorm';
import type { RetentionSettings } from '../config/config.js';

export interface RetentionResult {
  deployments: number;
  /** Deployments' build logs and previews' whole build logs dropped. */
  buildLogs: number;
  deliveries: number;
  /** Live events past the day a browser may resume from (`deployment_events`). */
  events: number;
  /** Committed intents past a week (`state_intents`). */
  intents: number;
}

/**
 * Drops what is past the retention settings, per service: deployments beyond
 * the newest N (never the current one, never one still in flight), build logs
 * older than D days (the row stays), and accepted webhook deliveries beyond the
 * newest N (refused ones keep their own, smaller cap at insert time); previews'
 * build logs older than D days too. Runs on a
 * timer; each statement is independent and safe to repeat.
 */
export async function applyRetention(db: DataSource, settings: RetentionSettings): Promise<RetentionResult> {
  const [, deployments]: [unknown, number] = await db.query(
    `DELETE FROM deployments d USING (
       SELECT id, row_number() OVER (PARTITION BY service_id ORDER BY created_at DESC, id DESC) AS n FROM deployments
     ) ranked
     WHERE d.id = ranked.id AND ranked.n > $1
       AND d.status NOT IN ('pending', 'building', 'deploying')
       AND NOT EXISTS (SELECT 1 FROM services s WHERE s.current_deployment_id = d.id)`,
    [settings.deploymentsPerService],
  );
  const [, buildLogs]: [unknown, number] = await db.query(
    `UPDATE deployments SET build_logs = NULL
      WHERE build_logs IS NOT NULL AND created_at < now() - make_interval(days => $1)
        AND status NOT IN ('pending', 'building')`,
    [settings.buildLogDays],
  );
  // A preview build's log, once whole, is kept as long (its preview's row stays).
  const [, previewLogs]: [unknown, number] = await db.query(
    `DELETE FROM preview_build_logs WHERE complete AND started_at < now() - make_interval(days => $1)`,
    [settings.buildLogDays],
  );
  const [, deliveries]: [unknown, number] = await db.query(
    `DELETE FROM webhook_deliveries w USING (
       SELECT id, row_number() OVER (PARTITION BY service_id ORDER BY received_at DESC, id DESC) AS n
         FROM webhook_deliveries WHERE outcome <> 'rejected'
     ) ranked
     WHERE w.id = ranked.id AND ranked.n > $1`,
    [settings.deliveriesPerService],
  );
  // A stream resumes from the last event it saw: a day covers a laptop asleep overnight.
  const [, events]: [unknown, number] = await db.query(`DELETE FROM deployment_events WHERE created_at < now() - interval '1 day'`);
  // Committed intents are kept a week for inspection; pending ones until committed.
  const [, intents]: [unknown, number] = await db.query(`DELETE FROM state_intents WHERE done_at < now() - interval '7 days'`);
  return { deployments, buildLogs: buildLogs + previewLogs, deliveries, events, intents };
}
