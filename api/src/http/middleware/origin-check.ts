import type { RequestHandler } from 'express';
import { ForbiddenError } from '../../errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Tenant apps run on sibling subdomains of the platform, which are same-site, so
 * SameSite cookies do not stop them from posting to the API
 * (docs/architecture.md#security-model). Every state-changing request must
 * therefore name the platform's
 * own origin in `Origin` (or, failing that, `Referer`).
 */
export function originCheck(allowedOrigin: string): RequestHandler {
  const expected = new URL(allowedOrigin).origin;
  return (req, _res, next) => {
    if (SAFE_METHODS.has(req.method)) {
      next();
      return;
    }
    const origin = req.get('origin') ?? refererOrigin(req.get('referer'));
    if (origin === expected) {
      next();
      return;
    }
    next(
      new ForbiddenError(
        origin ? `Requests from ${origin.slice(0, 200)} may not change anything here.` : 'This request needs an Origin header.',
        'origin_mismatch',
      ),
    );
  };
}

function refererOrigin(referer: string | undefined): string | undefined {
  if (!referer || !URL.canParse(referer)) return undefined;
  return new URL(referer).origin;
}
