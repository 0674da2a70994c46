import type { HistoryDiffDto, HistoryPageDto } from '@dangus/common';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { queryKeys } from '../../../lib/query-keys';

/** The service's infrastructure history, 50 commits a page (`GET /api/services/:id/history`). */
export function useServiceHistory(serviceId: string) {
  return useInfiniteQuery({
    queryKey: queryKeys.serviceHistory(serviceId),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      api.get<HistoryPageDto>(
        `/api/services/${encodeURIComponent(serviceId)}/history${pageParam ? `?cursor=${encodeURIComponent(pageParam)}` : ''}`,
      ),
    getNextPageParam: (last) => last.nextCursor,
  });
}

/** One commit with its diff on the service's files, fetched when it is opened. */
export function useHistoryCommit(serviceId: string, sha: string, enabled: boolean) {
  return useQuery({
    queryKey: [...queryKeys.serviceHistory(serviceId), sha] as const,
    queryFn: () => api.get<HistoryDiffDto>(`/api/services/${encodeURIComponent(serviceId)}/history/${encodeURIComponent(sha)}`),
    enabled,
    staleTime: Infinity,
  });
}
