import type { PreviewDto } from '@dangus/common';
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

function usePreviewAction(serviceId: string, action: 'approve' | 'teardown') {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (number: number) => api.post<PreviewDto>(`${base(serviceId)}/${String(number)}/${action}`, {}),
    onSuccess: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: previewsKey(serviceId) }),
        client.invalidateQueries({ queryKey: queryKeys.serviceHistory(serviceId) }),
      ]),
  });
}

/** Approves the head commit of a pull request waiting for a maintainer. */
export function useApprovePreview(serviceId: string) {
  return usePreviewAction(serviceId, 'approve');
}

/** Tears a preview down: one commit prunes it. */
export function useTearDownPreview(serviceId: string) {
  return usePreviewAction(serviceId, 'teardown');
}
