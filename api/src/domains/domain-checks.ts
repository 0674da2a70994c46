/**
 * One look at a custom domain (issue 34), on demand ("Verify") or on the leading controller's
 * backoff schedule: while `pending`, the TXT record `_dangus-challenge.{domain}`; once
 * `verified`, whether the domain points at the platform and answers over HTTP, which must hold
 * before a certificate is asked for (a misconfigured domain never spends the ACME server's
 * failed-validation allowance). What a look finds is recorded on the row; a change that
 * moves the manifests (verified: the Ingress routes it; routed: its Certificate) is a commit
 * of the state repo, in the transaction that records it.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { DomainCheckDto } from '@dangus/common';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { DomainSettings } from '../config/config.js';
import { lockDomain, nextCheckAt, recordCheck, recordRouting, setHttpToken, takeCertificateSlot, type DomainRow } from '../db/domains-repo.js';
import { changeState, type StateSink, type TenantChange } from '../state-repo/state-sink.js';
import { checkPointsAt, checkTxt, type DnsSettings } from './dns-checker.js';

export interface DomainCheckDeps {
  db: DataSource;
  stateSink: StateSink;
  logger: Logger;
  baseDomain: string;
  settings: DomainSettings | undefined;
  now?: () => Date;
}

/** Why a routed domain has no certificate yet: the HTTP-01 rate limit (CERT_REQUESTS_PER_HOUR). */
export function certificateQueuedMessage(perHour: number, at: Date): string {
  return `Its certificate waits its turn: the platform asks for at most ${String(perHour)} new certificates an hour (CERT_REQUESTS_PER_HOUR); the next slot is at ${at.toISOString().slice(0, 16).replace('T', ' ')} UTC.`;
}

/** The path of the reachability token, answered by the api for the domain it was made for (http/routes/domain-check.ts). */
export const HTTP_CHECK_PATH = '/.well-known/dangus-domain/';

const SYSTEM_DNS: DnsSettings = { servers: [], timeoutMs: 5000 };

export interface Owner {
  project_id: string;
  project_name: string;
  service_name: string;
  user_id: string;
  github_username: string;
  hash: string;
  project_namespace: string;
}

export async function ownerOf(db: DataSource, serviceId: string): Promise<Owner | null> {
  const rows: Owner[] = await db.query(
    `SELECT p.id AS project_id, p.name AS project_name, p.namespace AS project_namespace, s.name AS service_name, u.id AS user_id, u.github_username, u.hash
       FROM services s JOIN projects p ON p.id = s.project_id JOIN users u ON u.id = s.user_id WHERE s.id = $1`,
    [serviceId],
  );
  return rows[0] ?? null;
}

/** The state-repo change of a domain's step: `domain(ns/svc): {summary}`, by the service's owner. */
export function domainChange(owner: Owner, summary: string): TenantChange {
  return {
    projectId: owner.project_id,
    namespace: owner.project_namespace,
    serviceName: owner.service_name,
    verb: 'domain',
    summary,
    actor: { userId: owner.user_id, githubUsername: owner.github_username },
  };
}

function tokenOf(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as unknown;
    return typeof parsed === 'object' && parsed !== null && 'token' in parsed && typeof parsed.token === 'string' ? parsed.token : null;
  } catch {
    return null;
  }
}

/** GETs the reachability token from `address` with the domain as Host: whether it came back. */
function fetchToken(address: string, port: number, domain: string, token: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request(
      { host: address, port, path: `${HTTP_CHECK_PATH}${token}`, headers: { host: domain }, timeout: timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < 1024) body += chunk;
        });
        res.on('end', () => {
          resolve(res.statusCode === 200 && tokenOf(body) === token ? '' : `http://${domain}${HTTP_CHECK_PATH}… answered ${String(res.statusCode)} without the platform's token: the domain reaches another server.`);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) => {
      resolve(`http://${domain}/ could not be reached at ${address} (${error.message}).`);
    });
    req.end();
  });
}

/**
 * Looks at the domain once and records what it found. Returns the row as it is after, or
 * null when it is gone. `scheduled`: a look of the backoff schedule (counted in it); a
 * look on demand leaves the schedule as it was, or restarts it after 72 hours.
 */
export async function checkDomain(deps: DomainCheckDeps, row: DomainRow, scheduled: boolean): Promise<DomainRow | null> {
  const now = deps.now?.() ?? new Date();
  if (row.status === 'expired') return row;
  const owner = await ownerOf(deps.db, row.service_id);
  if (!owner) return null;
  const dns = deps.settings?.dns ?? SYSTEM_DNS;
  if (row.status === 'pending') {
    const found = await checkTxt(dns, row.domain, row.token);
    const check: DomainCheckDto = { at: now.toISOString(), ...found };
    const verified = found.outcome === 'found';
    await changeState(deps, async (manager) => {
      const current = await lockDomain(manager, row.id);
      if (current?.status !== 'pending') return { value: undefined, change: null };
      // Verified: the routing check is next, at once. Else the schedule goes on (a look on demand keeps it).
      const next = verified ? now : scheduled ? nextCheckAt(current.created_at, current.checks + 1, now) : (current.next_check_at ?? null);
      await recordCheck(manager, row.id, check, { status: verified ? 'verified' : 'pending', nextCheckAt: next, counted: scheduled });
      return { value: undefined, change: verified ? domainChange(owner, `verify ${row.domain}`) : null };
    });
    deps.logger.info({ domain: row.domain, outcome: found.outcome, scheduled }, 'custom domain TXT record checked');
  } else if (!row.routing?.ok || !row.certificate_requested_at) {
    await checkRouting(deps, row, owner, now, scheduled);
  }
  const after: DomainRow[] = await deps.db.query(`SELECT * FROM custom_domains WHERE id = $1`, [row.id]);
  return after[0] ?? null;
}

async function checkRouting(deps: DomainCheckDeps, row: DomainRow, owner: Owner, now: Date, scheduled: boolean): Promise<void> {
  const settings = deps.settings;
  const dns = settings?.dns ?? SYSTEM_DNS;
  const points = await checkPointsAt(dns, row.domain, { baseDomain: deps.baseDomain, ingressAddresses: settings?.ingressAddresses ?? [] });
  let problem = points.ok ? '' : points.message;
  if (!problem) {
    const token = row.http_token ?? randomBytes(24).toString('hex');
    if (!row.http_token) await setHttpToken(deps.db, row.id, token);
    const address = points.addresses[0];
    problem = address
      ? await fetchToken(address, settings?.httpCheckPort ?? 80, row.domain, token, dns.timeoutMs)
      : `${row.domain} has no address to reach.`;
  }
  const routing = { ok: problem === '', message: problem || `${points.message} HTTP reaches the platform.`, at: now.toISOString() };
  await changeState(deps, async (manager) => {
    const current = await lockDomain(manager, row.id);
    if (current?.status !== 'verified') return { value: undefined, change: null };
    if (!routing.ok) {
      await recordRouting(manager, row.id, routing, scheduled ? nextCheckAt(now, Math.min(current.checks, 6), now) : current.next_check_at);
      return { value: undefined, change: null };
    }
    if (current.certificate_requested_at) {
      await recordRouting(manager, row.id, routing, null);
      return { value: undefined, change: null };
    }
    // The HTTP-01 rate limit: beyond it, the domain waits (looked at again when a slot frees).
    const slot = await takeCertificateSlot(manager, row.id, now, settings?.issuer ? settings.certificateRequestsPerHour : Number.MAX_SAFE_INTEGER);
    if (!slot.granted) {
      const queued = { ...routing, message: `${routing.message} ${certificateQueuedMessage(settings?.certificateRequestsPerHour ?? 0, slot.nextSlotAt)}` };
      await recordRouting(manager, row.id, queued, slot.nextSlotAt);
      return { value: undefined, change: null };
    }
    await recordRouting(manager, row.id, routing, null);
    return { value: undefined, change: domainChange(owner, `certificate for ${row.domain}`) };
  });
  deps.logger.info({ domain: row.domain, ok: routing.ok, scheduled }, 'custom domain routing checked');
}
