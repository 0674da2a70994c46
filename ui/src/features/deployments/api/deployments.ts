import type { DeploymentDto } from '@dangus/common';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { useLiveRefetchInterval } from '../../../lib/live-status';
import { queryKeys } from '../../../lib/query-keys';
import { isInProgress } from '../../../lib/status';

/** A deployment as the UI shows it. */
export type DeploymentView = DeploymentDto;

export function useDeployments(serviceId: string) {
  const refetchInterval = useLiveRefetchInterval<DeploymentView[]>(
    (data) => data?.some((d) => isInProgress(d.status)) ?? false,
  );
  return useQuery({
    queryKey: queryKeys.deployments(serviceId),
    queryFn: () => api.get<DeploymentView[]>(`/api/services/${encodeURIComponent(serviceId)}/deployments`),
    refetchInterval,
  });
}

export function useDeployment(id: string) {
  const refetchInterval = useLiveRefetchInterval<DeploymentView>((data) => isInProgress(data?.status));
  return useQuery({
    queryKey: queryKeys.deployment(id),
    queryFn: () => api.get<DeploymentView>(`/api/deployments/${encodeURIComponent(id)}`),
    refetchInterval,
  });
}

/** How long a deployment took, or has been running: ms, or null when unknown. */
export function deploymentDurationMs(deployment: DeploymentView, now: number = Date.now()): number | null {
  const start = Date.parse(deployment.createdAt);
  if (Number.isNaN(start)) return null;
  if (isInProgress(deployment.status)) return now - start;
  const endIso = deployment.finishedAt ?? deployment.updatedAt;
  if (!endIso) return null;
  const end = Date.parse(endIso);
  return Number.isNaN(end) ? null : Math.max(0, end - start);
}
