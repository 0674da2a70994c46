import type { RegistryStatusDto } from '@dangus/common';
import type { TenantFailureDto } from '@dangus/common';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { useLiveRefetchInterval } from '../../../lib/live-status';
import { queryKeys } from '../../../lib/query-keys';

/** `GET /api/system/state-repo`; not in @dangus/common yet, read defensively. */
export interface StateRepoView {
  head?: { sha?: string; subject?: string; message?: string; date?: string; author?: string } | string | null;
  branch?: string;
  cloneUrl?: string;
  remote?: string | null;
  lastPush?: { at?: string; ok?: boolean; error?: string | null } | null;
  [key: string]: unknown;
}

/** `GET /api/system/applier`; not in @dangus/common yet, read defensively. */
export interface ApplierView {
  mode?: string;
  lastAppliedCommit?: string | null;
  lastAppliedAt?: string | null;
  lastSyncAt?: string | null;
  lastError?: string | null;
  errors?: Array<string | { message?: string; object?: string; at?: string }>;
  [key: string]: unknown;
}

export function useStateRepo() {
  const refetchInterval = useLiveRefetchInterval<StateRepoView>();
  return useQuery({
    queryKey: queryKeys.stateRepo(),
    queryFn: () => api.get<StateRepoView>('/api/system/state-repo'),
    refetchInterval,
  });
}

export function useApplier(enabled = true) {
  // The applier reports nothing over SSE: keep polling while the page is open.
  const refetchInterval = () => 10_000;
  return useQuery({
    enabled,
    queryKey: queryKeys.applier(),
    queryFn: () => api.get<ApplierView>('/api/system/applier'),
    refetchInterval,
  });
}

/** `GET /api/system/registry`: whether every tenant has a registry credential of its own. */
export type RegistryView = RegistryStatusDto;

export function useRegistry() {
  return useQuery({
    queryKey: queryKeys.registry(),
    queryFn: () => api.get<RegistryView>('/api/system/registry'),
  });
}

/** `GET /api/system/tenant-failures`: the projects whose changes cannot be committed. */
export function useTenantFailures() {
  return useQuery({
    queryKey: queryKeys.tenantFailures(),
    queryFn: () => api.get<TenantFailureDto[]>('/api/system/tenant-failures'),
    refetchInterval: () => 10_000,
  });
}
