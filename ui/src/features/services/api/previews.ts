import type { PreviewDto, PreviewLogDto } from '@dangus/common';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef } from 'react';
import { api } from '../../../lib/api-client';
import { queryKeys } from '../../../lib/query-keys';

const base = (serviceId: string) => `/api/services/${encodeURIComponent(serviceId)}/previews`;
/** Below the service's key: a change of the service refreshes its previews too. */
const previewsKey = (serviceId: string) => [...queryKeys.service(serviceId), 'previews'] as const;

/** The service's previews of pull requests, open ones first; refreshed every 15 s (builds, time left). */
export function usePreviews(serviceId: string) {
  return useQuery({
    queryKey: previewsKey(serviceId),
    queryFn: () => api.get<PreviewDto[]>(base(serviceId)),
    refetchInterval: 15_000,
  });
}

function usePreviewAction<T extends { number: number }>(serviceId: string, action: 'approve' | 'teardown', body: (input: T) => object) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: T) => api.post<PreviewDto>(`${base(serviceId)}/${String(input.number)}/${action}`, body(input)),
    onSuccess: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: previewsKey(serviceId) }),
        client.invalidateQueries({ queryKey: queryKeys.serviceHistory(serviceId) }),
      ]),
  });
}

/** Approves the head commit the maintainer saw (`headSha`) of a pull request waiting for one: a 409 when the head moved since. */
export function useApprovePreview(serviceId: string) {
  return usePreviewAction(serviceId, 'approve', (input: { number: number; headSha: string }) => ({ headSha: input.headSha }));
}

/** Tears a preview down: one commit prunes it. */
export function useTearDownPreview(serviceId: string) {
  return usePreviewAction(serviceId, 'teardown', () => ({}));
}

/** The log of a preview's last build as it grows: what is new is fetched every 2 s (`?from=`) until it is whole. */
export function usePreviewLog(serviceId: string, number: number) {
  // What was fetched so far: the next request asks only for what lies beyond it.
  const seen = useRef<{ path: string; page: PreviewLogDto } | null>(null);
  return useQuery({
    queryKey: [...previewsKey(serviceId), number, 'log'] as const,
    queryFn: async () => {
      const path = `${base(serviceId)}/${String(number)}/log`;
      const before = seen.current?.path === path ? seen.current.page : null;
      const page = await api.get<PreviewLogDto>(`${path}?from=${String(before?.length ?? 0)}`);
      const whole = followLog(before, page) ?? (await api.get<PreviewLogDto>(path));
      seen.current = { path, page: whole };
      return whole;
    },
    // Until it is whole; before its build starts (404), every 5 s.
    refetchInterval: (query) => (query.state.data ? (query.state.data.complete ? false : 2_000) : 5_000),
    retry: false,
    enabled: Number.isInteger(number) && number > 0,
  });
}

/**
 * The whole log after reading `page` (asked from `before.length`): the same build's log grew,
 * so the page is appended; a first read is whole already; `null` when the page is of another
 * build (a newer push) or the log shrank: it must be read again from its start.
 */
export function followLog(before: PreviewLogDto | null, page: PreviewLogDto): PreviewLogDto | null {
  if (before !== null && page.headSha === before.headSha && page.length >= before.length) return { ...page, from: 0, log: before.log + page.log };
  return page.from === 0 ? page : null;
}
