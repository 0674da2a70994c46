/**
 * Where the request under way came from (IP and user agent), for the activity log
 * (issue 36): set once per request by the app (http/app.ts), read by whatever records a
 * change in that request, however deep, without threading it through every use case.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { EntityManager } from 'typeorm';

export interface RequestOrigin {
  ip: string | null;
  userAgent: string | null;
}

const storage = new AsyncLocalStorage<RequestOrigin>();

/** Runs `next` (the rest of the request) with its origin. */
export function withRequestOrigin(origin: RequestOrigin, next: () => void): void {
  storage.run(origin, next);
}

/** The origin of the request under way, or null outside one (the pipeline, start-up). */
export function requestOrigin(): RequestOrigin | null {
  return storage.getStore() ?? null;
}

/**
 * Hands the origin to the transaction's SQL (`current_setting('dangus.request_ip')`), for the
 * log entry a trigger writes with each state-repo intent (migration 1765410000000).
 */
export async function shareRequestOrigin(manager: EntityManager): Promise<void> {
  const origin = requestOrigin();
  if (!origin) return;
  await manager.query(`SELECT set_config('dangus.request_ip', $1, true), set_config('dangus.request_ua', $2, true)`, [
    origin.ip ?? '',
    origin.userAgent ?? '',
  ]);
}
