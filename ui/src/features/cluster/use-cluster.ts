import type { ClusterStatusDto } from '@dangus/common';
import { useMe } from '../auth/api/auth';

/**
 * Whether the platform reaches a cluster, as the api says in `GET /auth/me`. Views that
 * need one (logs, events, usage) ask before they call the api, so the expected "no cluster"
 * case costs no failed request and no console error.
 */
export function useCluster(): ClusterStatusDto {
  const me = useMe();
  return me.data?.cluster ?? { connected: true, reason: null };
}
