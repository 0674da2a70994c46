/** SQL about the `previews` table (issue 35) that use cases, the reconcile and the renderer's loader share. */
import { ACTIVE_PREVIEW_STATES, type PreviewState } from '@dangus/common';
import type { EntityManager } from 'typeorm';

/** A preview's row as stored. */
export interface PreviewRow {
  id: string;
  serviceId: string;
  number: number;
  title: string;
  state: PreviewState;
  reason: string | null;
  headSha: string;
  headRef: string;
  headRepo: string | null;
  fork: boolean;
  author: string;
  approvedSha: string | null;
  approvedBy: string | null;
  host: string;
  prUpdatedAt: Date;
  lastPushAt: Date;
  closedAt: Date | null;
  githubCommentId: string | null;
  githubDeploymentId: string | null;
  createdAt: Date;
  /** Closed because its pull request closed: only `reopened` (or the reconcile seeing it open) opens it again. */
  pullClosed: boolean;
}

const COLUMNS = `id, service_id AS "serviceId", pr_number AS "number", title, state, reason, head_sha AS "headSha",
  head_ref AS "headRef", head_repo AS "headRepo", fork, author, approved_sha AS "approvedSha", approved_by AS "approvedBy",
  host, pr_updated_at AS "prUpdatedAt", last_push_at AS "lastPushAt", closed_at AS "closedAt",
  github_comment_id::text AS "githubCommentId", github_deployment_id::text AS "githubDeploymentId", created_at AS "createdAt",
  pull_closed AS "pullClosed"`;

/** The previews listed per service: the open ones and the newest closed ones. */
const LISTED = 50;

export async function listPreviews(manager: EntityManager, serviceId: string): Promise<PreviewRow[]> {
  return manager.query<PreviewRow[]>(
    `SELECT ${COLUMNS} FROM previews WHERE service_id = $1 ORDER BY closed_at IS NOT NULL, pr_number DESC LIMIT $2`,
    [serviceId, LISTED],
  );
}

/** The preview of pull request `number`, its row locked to the end of the caller's transaction. */
export async function lockPreview(manager: EntityManager, serviceId: string, number: number): Promise<PreviewRow | null> {
  const [row] = await manager.query<PreviewRow[]>(`SELECT ${COLUMNS} FROM previews WHERE service_id = $1 AND pr_number = $2 FOR UPDATE`, [serviceId, number]);
  return row ?? null;
}

/** How many previews of the service hold a place under its cap, `excluding` one of them. */
export async function activePreviews(manager: EntityManager, serviceId: string, excluding: string | null): Promise<number> {
  const [row] = await manager.query<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM previews WHERE service_id = $1 AND state = ANY($2) AND id IS DISTINCT FROM $3`,
    [serviceId, ACTIVE_PREVIEW_STATES, excluding],
  );
  return row?.n ?? 0;
}

/** The fields a pull request event sets. */
export type PreviewFields = Pick<
  PreviewRow,
  'title' | 'state' | 'reason' | 'headSha' | 'headRef' | 'headRepo' | 'fork' | 'author' | 'approvedSha' | 'approvedBy' | 'prUpdatedAt' | 'lastPushAt' | 'closedAt'
>;

/** A new preview; `null` when its host is taken (the caller draws another). */
export async function insertPreview(manager: EntityManager, serviceId: string, number: number, host: string, fields: PreviewFields): Promise<PreviewRow | null> {
  const [row] = await manager.query<PreviewRow[]>(
    `INSERT INTO previews (service_id, pr_number, host, title, state, reason, head_sha, head_ref, head_repo, fork, author,
                           approved_sha, approved_by, pr_updated_at, last_push_at, closed_at)
     SELECT $1::uuid, $2::int, $3::varchar, $4::text, $5::varchar, $6::text, $7::varchar, $8::varchar, $9::varchar, $10::boolean, $11::varchar,
            $12::varchar, $13::varchar, $14::timestamptz, $15::timestamptz, $16::timestamptz
      WHERE NOT EXISTS (SELECT 1 FROM services WHERE host = $3::varchar)
     ON CONFLICT (host) DO NOTHING
     RETURNING ${COLUMNS}`,
    [serviceId, number, host, ...fieldValues(fields)],
  );
  return row ?? null;
}

export async function updatePreview(manager: EntityManager, id: string, fields: PreviewFields): Promise<PreviewRow> {
  const [rows] = await manager.query<[PreviewRow[], number]>(
    `UPDATE previews SET title = $2, state = $3, reason = $4, head_sha = $5, head_ref = $6, head_repo = $7, fork = $8, author = $9,
                         approved_sha = $10, approved_by = $11, pr_updated_at = $12, last_push_at = $13, closed_at = $14, updated_at = now(),
                         pull_closed = pull_closed AND $14::timestamptz IS NOT NULL
      WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, ...fieldValues(fields)],
  );
  const row = rows[0];
  if (!row) throw new Error(`preview ${id} is gone`);
  return row;
}

function fieldValues(f: PreviewFields): unknown[] {
  return [f.title, f.state, f.reason, f.headSha, f.headRef, f.headRepo, f.fork, f.author, f.approvedSha, f.approvedBy, f.prUpdatedAt, f.lastPushAt, f.closedAt];
}

/** Closes every open preview of the service (`closed`, with `reason`); returns their rows. */
export async function closeOpenPreviews(manager: EntityManager, serviceId: string, reason: string): Promise<PreviewRow[]> {
  const [rows] = await manager.query<[PreviewRow[], number]>(
    `UPDATE previews SET state = 'closed', reason = $2, closed_at = now(), updated_at = now()
      WHERE service_id = $1 AND closed_at IS NULL RETURNING ${COLUMNS}`,
    [serviceId, reason],
  );
  return rows;
}

/** Ends, `expired`, the open previews whose time-to-live after their last push passed at `now`; returns them. */
export async function expirePreviews(manager: EntityManager, now: Date): Promise<PreviewRow[]> {
  const [rows] = await manager.query<[PreviewRow[], number]>(
    `UPDATE previews SET state = 'expired', closed_at = $1, updated_at = now(),
            reason = 'no push for ' || (SELECT s.previews_ttl_days FROM services s WHERE s.id = previews.service_id) || ' days: its time-to-live passed'
      WHERE id IN (SELECT p.id FROM previews p JOIN services s ON s.id = p.service_id
                    WHERE p.closed_at IS NULL AND p.last_push_at + make_interval(days => s.previews_ttl_days) <= $1)
      RETURNING ${COLUMNS}`,
    [now],
  );
  return rows;
}

/** Closes the open preview of pull request `number` with `reason`; null when none is open. */
export async function closePreview(manager: EntityManager, serviceId: string, number: number, reason: string): Promise<PreviewRow | null> {
  const [rows] = await manager.query<[PreviewRow[], number]>(
    `UPDATE previews SET state = 'closed', reason = $3, closed_at = now(), updated_at = now(), pull_closed = true
      WHERE service_id = $1 AND pr_number = $2 AND closed_at IS NULL RETURNING ${COLUMNS}`,
    [serviceId, number, reason],
  );
  return rows[0] ?? null;
}

/** Marks a closed preview as closed by its pull request (see {@link PreviewRow.pullClosed}). */
export async function markPullClosed(manager: EntityManager, id: string): Promise<PreviewRow> {
  const [rows] = await manager.query<[PreviewRow[], number]>(`UPDATE previews SET pull_closed = true WHERE id = $1 AND closed_at IS NOT NULL RETURNING ${COLUMNS}`, [id]);
  const row = rows[0];
  if (!row) throw new Error(`preview ${id} is not closed`);
  return row;
}

/** The preview with this id, or null. */
export async function previewById(manager: EntityManager, id: string): Promise<PreviewRow | null> {
  const [row] = await manager.query<PreviewRow[]>(`SELECT ${COLUMNS} FROM previews WHERE id = $1`, [id]);
  return row ?? null;
}
