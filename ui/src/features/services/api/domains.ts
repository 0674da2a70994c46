import type { CustomDomainDto } from '@dangus/common';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';

const base = (serviceId: string) => `/api/services/${encodeURIComponent(serviceId)}/domains`;
const key = (serviceId: string) => ['services', serviceId, 'domains'] as const;

/** The service's custom domains; polled while one is pending or issuing, so the panel follows the platform's looks. */
export function useDomains(serviceId: string) {
  return useQuery({
    queryKey: key(serviceId),
    queryFn: () => api.get<CustomDomainDto[]>(base(serviceId)),
    refetchInterval: (query) =>
      (query.state.data ?? []).some((d) => d.status === 'pending' || d.certificate.state === 'issuing' || d.certificate.state === 'waiting') ? 15_000 : false,
  });
}

function useInvalidate(serviceId: string) {
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey: ['services', serviceId] });
}

export function useAddDomain(serviceId: string) {
  const invalidate = useInvalidate(serviceId);
  return useMutation({ mutationFn: (domain: string) => api.post<CustomDomainDto>(base(serviceId), { domain }), onSuccess: invalidate });
}

export function useVerifyDomain(serviceId: string) {
  const invalidate = useInvalidate(serviceId);
  return useMutation({
    mutationFn: (id: string) => api.post<CustomDomainDto>(`${base(serviceId)}/${encodeURIComponent(id)}/verify`, {}),
    onSuccess: invalidate,
  });
}

export function useRemoveDomain(serviceId: string) {
  const invalidate = useInvalidate(serviceId);
  return useMutation({ mutationFn: (id: string) => api.delete(`${base(serviceId)}/${encodeURIComponent(id)}`), onSuccess: invalidate });
}
