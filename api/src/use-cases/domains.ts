/**
 * A service's custom domains (issue 34): list, add, verify on demand, remove. A domain is
 * normalized and checked by the one rule (`normalizeDomain` of `@dangus/common`), unique
 * across the platform (the second claimant gets a 409 that names no one), at most
 * MAX_DOMAINS_PER_SERVICE per service, and `pending` until its TXT record holds its token.
 * Adding, verifying and removing are commits of the state repo (`domain(ns/svc): add x`).
 */
import { randomBytes } from 'node:crypto';
import { domainToASCII, domainToUnicode } from 'node:url';
import {
  DOMAIN_EXPIRED_MESSAGE,
  MAX_DOMAINS_PER_SERVICE,
  createDomainSchema,
  normalizeDomain,
  type CertificateStateDto,
  type CustomDomainDto,
} from '@dangus/common';
import { ConflictError, LimitReachedError, NotFoundError, ValidationError } from '../errors.js';
import {
  deleteDomain,
  deleteExpiredClaim,
  domainOfService,
  domainsOfService,
  insertDomain,
  lockServiceDomains,
  nextCheckAt,
  toDomainDto,
  type DomainRow,
} from '../db/domains-repo.js';
import { checkDomain } from '../domains/domain-checks.js';
import { changeState } from '../state-repo/state-sink.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { findOwnedService, serviceChange } from './services.js';
import { isUuid, parseInput, uniqueViolation } from './validate.js';

const NOT_ASKED: CertificateStateDto = { state: 'none', message: 'No certificate is asked for until the domain is verified and points at the platform.', notAfter: null };

const UNKNOWN: CertificateStateDto = { state: 'unknown', message: 'The certificate\'s state cannot be read from the cluster now.', notAfter: null };

/** The namespace's certificates by host, or null when the cluster cannot say (none, no cert-manager). */
async function certificatesOf(ctx: UseCaseContext, namespace: string): Promise<Map<string, CertificateStateDto> | null> {
  if (!ctx.certificates || !ctx.domains?.issuer) return null;
  try {
    return await ctx.certificates.byHost(namespace);
  } catch (error) {
    ctx.logger.debug({ err: error, namespace }, 'cannot read the certificates');
    return null;
  }
}

function certificateOf(ctx: UseCaseContext, certificates: Map<string, CertificateStateDto> | null, row: DomainRow): CertificateStateDto {
  if (row.status !== 'verified' || !row.routing?.ok) return NOT_ASKED;
  // Routed, its certificate queued by the HTTP-01 rate limit: the routing message says until when.
  if (ctx.domains?.issuer && !row.certificate_requested_at) return { state: 'waiting', message: row.routing.message, notAfter: null };
  if (!ctx.domains?.issuer) return { state: 'none', message: 'The platform has no certificate issuer (CERT_ISSUER): the domain is served over HTTP only.', notAfter: null };
  if (!certificates) return UNKNOWN;
  return certificates.get(row.domain) ?? { state: 'waiting', message: 'The certificate is committed; the cluster does not have it yet.', notAfter: null };
}

async function dtosOf(ctx: UseCaseContext, namespace: string, rows: DomainRow[]): Promise<CustomDomainDto[]> {
  const certificates = rows.some((row) => row.routing?.ok) ? await certificatesOf(ctx, namespace) : null;
  return rows.map((row) => toDomainDto(row, certificateOf(ctx, certificates, row)));
}

async function dtoOf(ctx: UseCaseContext, namespace: string, row: DomainRow): Promise<CustomDomainDto> {
  const [dto] = await dtosOf(ctx, namespace, [row]);
  if (!dto) throw new Error('no domain');
  return dto;
}

/** The project's namespace: its owner's (a team's, for a team project), not the acting member's. */
function namespaceOf(_user: CurrentUser, owned: Awaited<ReturnType<typeof findOwnedService>>): string {
  return owned.project.namespace;
}

export async function listDomains(ctx: UseCaseContext, user: CurrentUser, serviceId: string): Promise<CustomDomainDto[]> {
  const owned = await findOwnedService(ctx, user, serviceId, 'read');
  const ns = namespaceOf(user, owned);
  return dtosOf(ctx, ns, await domainsOfService(ctx.db, owned.service.id));
}

export async function addDomain(ctx: UseCaseContext, user: CurrentUser, serviceId: string, input: unknown): Promise<CustomDomainDto> {
  // Another user's service is a 404 whatever the body.
  const owned = await findOwnedService(ctx, user, serviceId);
  const { domain: raw } = parseInput(createDomainSchema, input);
  const normalized = normalizeDomain(raw, {
    baseDomain: ctx.settings.baseDomain,
    platformHosts: ctx.domains?.platformHosts ?? [],
    toAscii: domainToASCII,
    toUnicode: domainToUnicode,
  });
  if ('error' in normalized) throw new ValidationError('The domain cannot be added.', { domain: [normalized.error] });
  const { domain } = normalized;
  const now = new Date();
  try {
    const row = await changeState(ctx, async (manager) => {
      const count = await lockServiceDomains(manager, owned.service.id);
      await deleteExpiredClaim(manager, owned.service.id, domain);
      if (count >= MAX_DOMAINS_PER_SERVICE) {
        throw new LimitReachedError(`A service has at most ${String(MAX_DOMAINS_PER_SERVICE)} custom domains: remove one first.`);
      }
      const inserted = await insertDomain(manager, {
        serviceId: owned.service.id,
        domain,
        token: `dangus-verify=${randomBytes(18).toString('base64url')}`,
        nextCheckAt: nextCheckAt(now, 0, now) ?? now,
      });
      return { value: inserted, change: serviceChange(user, owned.project, owned.service.name, { verb: 'domain', summary: `add ${domain}` }) };
    });
    ctx.logger.info({ serviceId: owned.service.id, domain }, 'custom domain added');
    return await dtoOf(ctx, namespaceOf(user, owned), row);
  } catch (error) {
    // Whoever holds it, the answer is the same: nothing about the holder.
    if (uniqueViolation(error) === 'custom_domains_domain_key') {
      throw new ConflictError(`${domain} is already claimed on this platform.`, { domain: ['Already claimed.'] });
    }
    throw error;
  }
}

async function findDomain(ctx: UseCaseContext, serviceId: string, domainId: string): Promise<DomainRow> {
  const row = isUuid(domainId) ? await domainOfService(ctx.db, serviceId, domainId) : null;
  if (!row) throw new NotFoundError('Domain');
  return row;
}

/** Looks now (TXT while pending; the routing once verified) and answers what was found. */
export async function verifyDomain(ctx: UseCaseContext, user: CurrentUser, serviceId: string, domainId: string): Promise<CustomDomainDto> {
  const owned = await findOwnedService(ctx, user, serviceId);
  const row = await findDomain(ctx, owned.service.id, domainId);
  if (row.status === 'expired') throw new ConflictError(DOMAIN_EXPIRED_MESSAGE, { domain: [DOMAIN_EXPIRED_MESSAGE] });
  const after = await checkDomain(
    { db: ctx.db, stateSink: ctx.stateSink, logger: ctx.logger, baseDomain: ctx.settings.baseDomain, settings: ctx.domains },
    row,
    false,
  );
  if (!after) throw new NotFoundError('Domain');
  return dtoOf(ctx, namespaceOf(user, owned), after);
}

/** Removes the domain: its Ingress rule and Certificate leave with the commit. */
export async function removeDomain(ctx: UseCaseContext, user: CurrentUser, serviceId: string, domainId: string): Promise<void> {
  const owned = await findOwnedService(ctx, user, serviceId);
  const row = await findDomain(ctx, owned.service.id, domainId);
  await changeState(ctx, async (manager) => {
    await deleteDomain(manager, row.id);
    return { value: undefined, change: serviceChange(user, owned.project, owned.service.name, { verb: 'domain', summary: `remove ${row.domain}` }) };
  });
}
