import type { DeploymentDto, RollbackPreviewDto } from '@dangus/common';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { queryKeys } from '../../../lib/query-keys';

/** What rolling back to this release would change (`GET /api/deployments/:id/rollback`). */
export function useRollbackPreview(deploymentId: string, enabled: boolean) {
  return useQuery({
    queryKey: [...queryKeys.deployment(deploymentId), 'rollback'] as const,
    queryFn: () => api.get<RollbackPreviewDto>(`/api/deployments/${encodeURIComponent(deploymentId)}/rollback`),
    enabled,
    staleTime: 0,
  });
}

export function useRollback(serviceId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (deploymentId: string) => api.post<DeploymentDto>(`/api/deployments/${encodeURIComponent(deploymentId)}/rollback`),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: queryKeys.service(serviceId) });
    },
  });
}
