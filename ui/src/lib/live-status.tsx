import { createContext, useContext, type ReactNode } from 'react';
import type { SseStatus } from './sse/sse-client';

const LiveStatusContext = createContext<SseStatus>('connecting');

/** Provides the state of the app-wide event stream to every query hook. */
export function LiveStatusProvider({ status, children }: { status: SseStatus; children: ReactNode }) {
  return <LiveStatusContext.Provider value={status}>{children}</LiveStatusContext.Provider>;
}

export function useLiveStatus(): SseStatus {
  return useContext(LiveStatusContext);
}

/** How often to poll, when the event stream is down, data that is still moving. */
export const FALLBACK_POLL_MS = 5000;
/** …and data that is at rest (a webhook may start a deploy at any time). */
export const IDLE_POLL_MS = 30_000;

/**
 * A TanStack Query `refetchInterval`: nothing while live events arrive (they
 * invalidate what changed); polling otherwise, quicker while `isMoving` says
 * the data may still change, so a page never needs a manual refresh.
 */
export function useLiveRefetchInterval<T>(
  isMoving: (data: T | undefined) => boolean = () => false,
): (query: { state: { data: T | undefined } }) => number | false {
  const status = useLiveStatus();
  return (query) => {
    if (status === 'open') return false;
    return isMoving(query.state.data) ? FALLBACK_POLL_MS : IDLE_POLL_MS;
  };
}
