import type { CreateServiceInput, DeploymentDto, ServiceDto, ServiceEventDto, ServiceMetricsDto, UpdateServiceInput } from '@dangus/common';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { useLiveRefetchInterval } from '../../../lib/live-status';
import { queryKeys } from '../../../lib/query-keys';
import { isInProgress } from '../../../lib/status';

const path = (id: string) => `/api/services/${encodeURIComponent(id)}`;

export function useService(id: string) {
  const refetchInterval = useLiveRefetchInterval<ServiceDto>((data) => isInProgress(data?.status));
  return useQuery({
    queryKey: queryKeys.service(id),
    queryFn: () => api.get<ServiceDto>(path(id)),
    refetchInterval,
  });
}

export function useCreateService(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateServiceInput) =>
      api.post<ServiceDto>(`/api/projects/${encodeURIComponent(projectId)}/services`, input),
    onSuccess: (service) => {
      client.setQueryData(queryKeys.service(service.id), service);
      return client.invalidateQueries({ queryKey: queryKeys.projects });
    },
  });
}

export function useUpdateService(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: UpdateServiceInput) => api.patch<ServiceDto>(path(id), input),
    onSuccess: (service) => {
      client.setQueryData(queryKeys.service(id), service);
      return Promise.all([
        client.invalidateQueries({ queryKey: queryKeys.project(service.projectId) }),
        client.invalidateQueries({ queryKey: queryKeys.serviceHistory(id) }),
      ]);
    },
  });
}

export function useDeleteService() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (service: ServiceDto) => api.delete(path(service.id)),
    onSuccess: (_void, service) => {
      // Cancel, not remove: the page still mounted would refetch a removed query (and get a 404).
      void client.cancelQueries({ queryKey: queryKeys.service(service.id) });
      return client.invalidateQueries({ queryKey: queryKeys.project(service.projectId) });
    },
  });
}

/** "Deploy now": queues a build of the branch's head (202 with the new deployment). */
export function useDeployService(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<DeploymentDto>(`${path(id)}/deploy`),
    onSuccess: (deployment) => {
      client.setQueryData(queryKeys.deployment(deployment.id), deployment);
      return Promise.all([
        client.invalidateQueries({ queryKey: queryKeys.service(id) }),
        client.invalidateQueries({ queryKey: queryKeys.projects }),
      ]);
    },
  });
}

/** A rolling restart (`POST /api/services/:id/restart`): one commit, the pods replaced. */
export function useRestartService(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<{ restartedAt: string }>(`${path(id)}/restart`),
    onSuccess: () => client.invalidateQueries({ queryKey: queryKeys.serviceHistory(id) }),
  });
}

/** The service's events, read again every 10 s while the page is open. */
/** CPU and memory over the last hour; asking again every sampling keeps the api sampling. */
export function useServiceMetrics(id: string, enabled: boolean) {
  return useQuery({
    queryKey: [...queryKeys.service(id), 'metrics'] as const,
    queryFn: () => api.get<ServiceMetricsDto>(`${path(id)}/metrics`),
    enabled,
    refetchInterval: (query) => (query.state.data?.intervalSeconds ?? 15) * 1000,
    retry: false,
  });
}

export function useServiceEvents(id: string, enabled: boolean) {
  return useQuery({
    queryKey: [...queryKeys.service(id), 'events'] as const,
    queryFn: () => api.get<ServiceEventDto[]>(`${path(id)}/events`),
    enabled,
    refetchInterval: 10_000,
    retry: false,
  });
}
