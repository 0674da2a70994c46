import type { PreviewDto, PreviewLogDto } from '@dangus/common';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
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

/** The log of a preview's last build; refreshed every 2 s until it is whole. */
export function usePreviewLog(serviceId: string, number: number) {
  return useQuery({
    queryKey: [...previewsKey(serviceId), number, 'log'] as const,
    queryFn: () => api.get<PreviewLogDto>(`${base(serviceId)}/${String(number)}/log`),
    // Until it is whole; before its build starts (404), every 5 s.
    refetchInterval: (query) => (query.state.data ? (query.state.data.complete ? false : 2_000) : 5_000),
    retry: false,
    enabled: Number.isInteger(number) && number > 0,
  });
}
