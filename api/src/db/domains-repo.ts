/**
 * The SQL of custom domains (`custom_domains`, migration 1765420000000), shared by the use
 * cases, the leading controller's checks and the tenant loader.
 */
import { challengeRecordName, type CertificateStateDto, type CustomDomainDto, type DomainCheckDto, type DomainStatus } from '@dangus/common';
import type { DataSource, EntityManager } from 'typeorm';

export interface DomainRow {
  id: string;
  service_id: string;
  domain: string;
  token: string;
  status: DomainStatus;
  last_check: DomainCheckDto | null;
  checks: number;
  next_check_at: Date | null;
  verified_at: Date | null;
  routing: { ok: boolean; message: string; at: string } | null;
  http_token: string | null;
  created_at: Date;
  /** When its certificate was asked for (the HTTP-01 rate limit); null: not yet, or queued. */
  certificate_requested_at: Date | null;
}

type Db = DataSource | EntityManager;

const COLUMNS = 'id, service_id, domain, token, status, last_check, checks, next_check_at, verified_at, routing, http_token, created_at, certificate_requested_at';

/** How long the platform looks by itself for a TXT record after the domain was added. */
export const SCHEDULE_MS = 72 * 3_600_000;

/**
 * When to look again after `checks` looks: 1, 2, 4, … minutes, at most an hour apart, and
 * never past 72 hours after the domain was added (null then: only "Verify" looks).
 */
export function nextCheckAt(createdAt: Date, checks: number, now: Date): Date | null {
  const delay = Math.min(2 ** Math.min(checks, 6), 60) * 60_000;
  const at = new Date(now.getTime() + delay);
  return at.getTime() > createdAt.getTime() + SCHEDULE_MS ? null : at;
}

export async function domainsOfService(db: Db, serviceId: string): Promise<DomainRow[]> {
  return db.query(`SELECT ${COLUMNS} FROM custom_domains WHERE service_id = $1 ORDER BY created_at, domain`, [serviceId]);
}

export async function domainOfService(db: Db, serviceId: string, id: string): Promise<DomainRow | null> {
  const rows: DomainRow[] = await db.query(`SELECT ${COLUMNS} FROM custom_domains WHERE service_id = $1 AND id = $2`, [serviceId, id]);
  return rows[0] ?? null;
}

export async function insertDomain(db: Db, row: { serviceId: string; domain: string; token: string; nextCheckAt: Date }): Promise<DomainRow> {
  const rows: DomainRow[] = await db.query(
    `INSERT INTO custom_domains (service_id, domain, token, next_check_at) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
    [row.serviceId, row.domain, row.token, row.nextCheckAt],
  );
  const inserted = rows[0];
  if (!inserted) throw new Error('custom domain not inserted');
  return inserted;
}

/** Locks the service's domains (its row), so two adds cannot both pass the limit. */
export async function lockServiceDomains(manager: EntityManager, serviceId: string): Promise<number> {
  await manager.query(`SELECT id FROM services WHERE id = $1 FOR UPDATE`, [serviceId]);
  const rows: { count: number }[] = await manager.query(`SELECT count(*)::int AS count FROM custom_domains WHERE service_id = $1 AND status <> 'expired'`, [serviceId]);
  return rows[0]?.count ?? 0;
}

/**
 * A slot of the HTTP-01 rate limit for the domain's certificate: taken (its request time
 * recorded) when fewer than `perHour` were asked for in the hour before `now`, else when
 * the next slot frees. Serialized across the platform by a transaction-level advisory lock.
 */
export async function takeCertificateSlot(manager: EntityManager, id: string, now: Date, perHour: number): Promise<{ granted: true } | { granted: false; nextSlotAt: Date }> {
  await manager.query(`SELECT pg_advisory_xact_lock(hashtext('dangus:certificate-requests'))`);
  const since = new Date(now.getTime() - 3_600_000);
  const rows: { requested: number; oldest: Date | null }[] = await manager.query(
    `SELECT count(*)::int AS requested, min(certificate_requested_at) AS oldest FROM custom_domains WHERE certificate_requested_at > $1`,
    [since],
  );
  const { requested = 0, oldest = null } = rows[0] ?? {};
  if (requested >= perHour && oldest) return { granted: false, nextSlotAt: new Date(new Date(oldest).getTime() + 3_600_000) };
  await manager.query(`UPDATE custom_domains SET certificate_requested_at = $2 WHERE id = $1`, [id, now]);
  return { granted: true };
}

/** The row, locked for a check's outcome (null when it was removed meanwhile). */
export async function lockDomain(manager: EntityManager, id: string): Promise<DomainRow | null> {
  const rows: DomainRow[] = await manager.query(`SELECT ${COLUMNS} FROM custom_domains WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0] ?? null;
}

export async function recordCheck(
  manager: EntityManager,
  id: string,
  check: DomainCheckDto,
  next: { status: DomainStatus; nextCheckAt: Date | null; counted: boolean },
): Promise<void> {
  await manager.query(
    `UPDATE custom_domains
        SET last_check = $2::jsonb, status = $3::varchar, next_check_at = $4::timestamptz, checks = checks + $5::int,
            verified_at = CASE WHEN $3::varchar = 'verified' THEN coalesce(verified_at, now()) ELSE NULL END
      WHERE id = $1`,
    [id, JSON.stringify(check), next.status, next.nextCheckAt, next.counted ? 1 : 0],
  );
}

export async function recordRouting(manager: EntityManager, id: string, routing: { ok: boolean; message: string; at: string }, nextCheck: Date | null): Promise<void> {
  await manager.query(`UPDATE custom_domains SET routing = $2::jsonb, next_check_at = $3::timestamptz WHERE id = $1`, [id, JSON.stringify(routing), nextCheck]);
}

export async function setHttpToken(db: Db, id: string, token: string): Promise<void> {
  await db.query(`UPDATE custom_domains SET http_token = $2 WHERE id = $1`, [id, token]);
}

/** The domain a reachability token was made for (the HTTP check's answer). */
export async function domainOfHttpToken(db: Db, token: string): Promise<string | null> {
  const rows: { domain: string }[] = await db.query(`SELECT domain FROM custom_domains WHERE http_token = $1`, [token]);
  return rows[0]?.domain ?? null;
}

export async function deleteDomain(manager: EntityManager, id: string): Promise<void> {
  await manager.query(`DELETE FROM custom_domains WHERE id = $1`, [id]);
}

/** Pending claims past their 72 hours of checks: to release (SCHEDULE_MS after `created_at`). */
export async function overdueClaims(db: Db, now: Date, limit: number): Promise<{ id: string; service_id: string }[]> {
  return db.query(
    `SELECT id, service_id FROM custom_domains WHERE status = 'pending' AND created_at <= $1 ORDER BY created_at LIMIT $2`,
    [new Date(now.getTime() - SCHEDULE_MS), limit],
  );
}

/** Releases a pending claim (locked by the caller): `expired`, no more looks. */
export async function expireClaim(manager: EntityManager, id: string, now: Date): Promise<void> {
  await manager.query(`UPDATE custom_domains SET status = 'expired', expired_at = $2, next_check_at = NULL WHERE id = $1`, [id, now]);
}

/** The owner's own expired rows of a name they add again (the new claim replaces them). */
export async function deleteExpiredClaim(manager: EntityManager, serviceId: string, domain: string): Promise<void> {
  await manager.query(`DELETE FROM custom_domains WHERE service_id = $1 AND domain = $2 AND status = 'expired'`, [serviceId, domain]);
}

/** Domains whose scheduled look is due: TXT not yet proven, or proven and not yet routed. */
export async function dueDomains(db: Db, now: Date, limit: number): Promise<{ id: string; service_id: string }[]> {
  return db.query(
    `SELECT id, service_id FROM custom_domains WHERE next_check_at IS NOT NULL AND next_check_at <= $1 ORDER BY next_check_at LIMIT $2`,
    [now, limit],
  );
}

type RenderedStatus = Exclude<DomainStatus, 'expired'>;

/** The custom domains of services, for the render: each with its state and whether its certificate may be asked for. */
export async function domainsForRender(
  db: Db,
  serviceIds: string[],
): Promise<Map<string, { domain: string; status: RenderedStatus; certificate: boolean }[]>> {
  const byService = new Map<string, { domain: string; status: RenderedStatus; certificate: boolean }[]>();
  if (serviceIds.length === 0) return byService;
  // A released (expired) claim is not rendered at all.
  const rows: { service_id: string; domain: string; status: RenderedStatus; routed: boolean }[] = await db.query(
    `SELECT service_id, domain, status, coalesce((routing->>'ok')::boolean, false) AND certificate_requested_at IS NOT NULL AS routed
       FROM custom_domains WHERE service_id = ANY($1::uuid[]) AND status <> 'expired' ORDER BY domain`,
    [serviceIds],
  );
  for (const row of rows) {
    const list = byService.get(row.service_id) ?? [];
    list.push({ domain: row.domain, status: row.status, certificate: row.status === 'verified' && row.routed });
    byService.set(row.service_id, list);
  }
  return byService;
}

export function toDomainDto(row: DomainRow, certificate: CertificateStateDto): CustomDomainDto {
  return {
    id: row.id,
    domain: row.domain,
    status: row.status,
    txtRecord: { name: challengeRecordName(row.domain), value: row.token },
    lastCheck: row.last_check,
    nextCheckAt: row.next_check_at?.toISOString() ?? null,
    verifiedAt: row.verified_at?.toISOString() ?? null,
    routing: row.routing,
    certificate,
    createdAt: row.created_at.toISOString(),
  };
}
