import type { CreateEnvVarInput, EnvVarDto, UpdateEnvVarInput } from '@dangus/common';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { queryKeys } from '../../../lib/query-keys';

const base = (serviceId: string) => `/api/services/${encodeURIComponent(serviceId)}/env`;

/** The service's env vars, values masked by the api. */
export function useEnvVars(serviceId: string) {
  return useQuery({
    queryKey: queryKeys.envVars(serviceId),
    queryFn: () => api.get<EnvVarDto[]>(base(serviceId)),
  });
}

function useInvalidateEnv(serviceId: string) {
  const client = useQueryClient();
  // An env change is a commit and a rollout: the history and status move too.
  return () =>
    Promise.all([
      client.invalidateQueries({ queryKey: queryKeys.envVars(serviceId) }),
      client.invalidateQueries({ queryKey: queryKeys.serviceHistory(serviceId) }),
      client.invalidateQueries({ queryKey: queryKeys.service(serviceId) }),
    ]);
}

export function useCreateEnvVar(serviceId: string) {
  const invalidate = useInvalidateEnv(serviceId);
  return useMutation({
    mutationFn: (input: CreateEnvVarInput) => api.post<EnvVarDto>(base(serviceId), input),
    onSuccess: invalidate,
  });
}

export function useUpdateEnvVar(serviceId: string) {
  const invalidate = useInvalidateEnv(serviceId);
  return useMutation({
    mutationFn: ({ id, input }: { id: string; input: UpdateEnvVarInput }) =>
      api.patch<EnvVarDto>(`${base(serviceId)}/${encodeURIComponent(id)}`, input),
    onSuccess: invalidate,
  });
}

export function useDeleteEnvVar(serviceId: string) {
  const invalidate = useInvalidateEnv(serviceId);
  return useMutation({
    mutationFn: (id: string) => api.delete(`${base(serviceId)}/${encodeURIComponent(id)}`),
    onSuccess: invalidate,
  });
}
