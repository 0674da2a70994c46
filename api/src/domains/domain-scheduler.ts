/**
 * The leading controller's side of custom domains (issue 34): every few seconds, the
 * domains whose scheduled look is due (domains-repo.ts `nextCheckAt`: a backoff for 72 hours
 * after a domain was added, then only on demand) are looked at, a few at a time, each on
 * its own: one domain's DNS failing never stops another's look. Each pass first releases
 * the claims not verified within their 72 hours (domain-expiry.ts).
 */
import { dueDomains, type DomainRow } from '../db/domains-repo.js';
import { checkDomain, type DomainCheckDeps } from './domain-checks.js';
import { releaseOverdueClaims } from './domain-expiry.js';

const BATCH = 20;

export interface DomainScheduler {
  /** One pass now (tests; the timer runs passes otherwise): how many domains were looked at or released. */
  pass(): Promise<number>;
  stop(): Promise<void>;
}

export function startDomainScheduler(deps: DomainCheckDeps, periodMs = 15_000): DomainScheduler {
  let running: Promise<number> | null = null;
  let stopped = false;
  const pass = async (): Promise<number> => {
    const now = deps.now?.() ?? new Date();
    const released = await releaseOverdueClaims(deps, now);
    const due = await dueDomains(deps.db, now, BATCH);
    for (const { id } of due) {
      if (stopped) break;
      const rows: DomainRow[] = await deps.db.query(`SELECT * FROM custom_domains WHERE id = $1`, [id]);
      const row = rows[0];
      if (!row) continue;
      await checkDomain(deps, row, true).catch((error: unknown) => {
        deps.logger.warn({ err: error, domain: row.domain }, 'custom domain check failed');
      });
    }
    return released + due.length;
  };
  const tick = () => {
    if (running || stopped) return;
    running = pass()
      .catch((error: unknown) => {
        deps.logger.warn({ err: error }, 'custom domain checks failed');
        return 0;
      })
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, periodMs);
  timer.unref();
  return {
    pass: async () => {
      while (running) await running;
      return pass();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
