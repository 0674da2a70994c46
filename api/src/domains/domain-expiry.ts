/**
 * Pending claims are not held forever (issue 34): a custom domain whose TXT record was not
 * found within its 72 hours of checks is released by the leading controller: `expired`,
 * out of the render (a commit: `domain(ns/svc): release x (not verified in 72 h)`), the
 * name free for another claimant; its owner sees why (DOMAIN_EXPIRED_MESSAGE) until they
 * remove it or add it again. One claim's failure never stops another's release.
 */
import { expireClaim, lockDomain, overdueClaims, SCHEDULE_MS } from '../db/domains-repo.js';
import { changeState } from '../state-repo/state-sink.js';
import { domainChange, ownerOf, type DomainCheckDeps } from './domain-checks.js';

const BATCH = 20;

/** Releases the overdue claims (at most a batch a pass); how many were released. */
export async function releaseOverdueClaims(deps: DomainCheckDeps, now: Date): Promise<number> {
  let released = 0;
  for (const { id, service_id } of await overdueClaims(deps.db, now, BATCH)) {
    try {
      const owner = await ownerOf(deps.db, service_id);
      if (!owner) continue;
      const done = await changeState(deps, async (manager) => {
        const current = await lockDomain(manager, id);
        // Verified or removed meanwhile, or not yet overdue by the row's own time: left as it is.
        if (current?.status !== 'pending' || current.created_at.getTime() + SCHEDULE_MS > now.getTime()) return { value: false, change: null };
        await expireClaim(manager, id, now);
        return { value: true, change: domainChange(owner, `release ${current.domain} (not verified in 72 h)`) };
      });
      if (done) {
        released += 1;
        deps.logger.info({ domainId: id }, 'custom domain claim released: not verified in 72 hours');
      }
    } catch (error) {
      deps.logger.warn({ err: error, domainId: id }, 'custom domain claim could not be released');
    }
  }
  return released;
}
