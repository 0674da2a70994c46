import { useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { queryKeys } from '../../../lib/query-keys';

/**
 * One state-repo commit that touched a service (`GET /api/services/:id/history`).
 * Not in @dangus/common yet; read defensively.
 */
export interface StateCommitView {
  sha: string;
  /** First line of the message: `verb(namespace/service): summary`. */
  subject?: string;
  message?: string;
  author?: string | { name?: string; email?: string };
  date?: string;
  /** Unified diff of the commit, limited to the service's files. */
  diff?: string;
}

export function useServiceHistory(serviceId: string) {
  return useQuery({
    queryKey: queryKeys.serviceHistory(serviceId),
    queryFn: () => api.get<StateCommitView[]>(`/api/services/${encodeURIComponent(serviceId)}/history`),
  });
}
