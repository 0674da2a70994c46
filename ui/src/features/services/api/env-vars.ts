import type { CreateEnvVarInput, EnvImportDto, EnvValueDto, EnvVarDto, ServiceActivityDto, UpdateEnvVarInput } from '@dangus/common';
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

/** What pasting `dotenv` would add, change or leave, by key; nothing is written. */
export function usePreviewEnvImport(serviceId: string) {
  return useMutation({
    mutationFn: (dotenv: string) => api.post<EnvImportDto>(`${base(serviceId)}/import/preview`, { dotenv }),
  });
}

/** Imports a pasted `.env` file: one change, one commit, one rollout. */
export function useImportEnv(serviceId: string) {
  const invalidate = useInvalidateEnv(serviceId);
  return useMutation({
    mutationFn: (dotenv: string) => api.post<EnvImportDto>(`${base(serviceId)}/import`, { dotenv }),
    onSuccess: invalidate,
  });
}

/** Shows one value to its owner; the api records it in the service's activity. */
export function useRevealEnvValue(serviceId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.post<EnvValueDto>(`${base(serviceId)}/${encodeURIComponent(id)}/reveal`),
    onSettled: () => client.invalidateQueries({ queryKey: queryKeys.activity(serviceId) }),
  });
}

/** The service's activity (values revealed, and by whom), newest first. */
export function useServiceActivity(serviceId: string) {
  return useQuery({
    queryKey: queryKeys.activity(serviceId),
    queryFn: () => api.get<ServiceActivityDto[]>(`/api/services/${encodeURIComponent(serviceId)}/activity`),
  });
}
