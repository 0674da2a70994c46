import type { DeploymentDto } from '@dangus/common';
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { queryKeys } from '../../../lib/query-keys';
import type { SseStatus } from '../../../lib/sse/sse-client';
import type { SseEvent } from '../../../lib/sse/sse-parser';
import { useSse } from '../../../lib/sse/use-sse';
import type { DeploymentView } from './deployments';

/** Reads a `deployment` event's data; `null` when it is not one we understand. */
export function parseDeploymentEvent(data: string): DeploymentView | null {
  try {
    const value: unknown = JSON.parse(data);
    if (typeof value !== 'object' || value === null) return null;
    const d = value as Partial<DeploymentDto>;
    if (typeof d.id !== 'string' || typeof d.serviceId !== 'string' || typeof d.status !== 'string') return null;
    return value as DeploymentView;
  } catch {
    return null;
  }
}

/** Folds one deployment into a service's history list, newest first. */
export function mergeDeployment(list: DeploymentView[] | undefined, next: DeploymentView): DeploymentView[] | undefined {
  if (!list) return list;
  const index = list.findIndex((d) => d.id === next.id);
  if (index === -1) return [next, ...list];
  return list.map((d, i) => (i === index ? { ...d, ...next } : d));
}

function applyDeploymentEvent(client: QueryClient, deployment: DeploymentView): void {
  client.setQueryData<DeploymentView>(queryKeys.deployment(deployment.id), (old) =>
    old ? { ...old, ...deployment } : old,
  );
  client.setQueryData<DeploymentView[]>(queryKeys.deployments(deployment.serviceId), (old) =>
    mergeDeployment(old, deployment),
  );
  // The service's and projects' status summaries are derived by the api: ask again.
  void client.invalidateQueries({ queryKey: queryKeys.service(deployment.serviceId), exact: true });
  void client.invalidateQueries({ queryKey: queryKeys.deployments(deployment.serviceId) });
  void client.invalidateQueries({ queryKey: queryKeys.serviceHistory(deployment.serviceId) });
  // A push's deployment is the only event its webhook delivery gets: without this the
  // panel kept saying "No deliveries yet" under a list of pushed deployments.
  void client.invalidateQueries({ queryKey: queryKeys.webhookDeliveries(deployment.serviceId) });
  void client.invalidateQueries({ queryKey: queryKeys.projects });
  void client.invalidateQueries({ queryKey: queryKeys.system });
}

/**
 * Subscribes to `GET /api/events` for the signed-in session and keeps the
 * query cache true: each `deployment` event updates what it names. After a
 * reconnect every active query is refetched, since events may have been missed.
 */
export function useLiveEvents(enabled: boolean): SseStatus {
  const client = useQueryClient();
  const status = useSse(enabled ? '/api/events' : null, (event: SseEvent) => {
    if (event.type !== 'deployment') return;
    const deployment = parseDeploymentEvent(event.data);
    if (deployment) applyDeploymentEvent(client, deployment);
  });

  const previous = useRef<SseStatus>(status);
  useEffect(() => {
    if (status === 'open' && previous.current !== 'open' && previous.current !== 'connecting') {
      void client.invalidateQueries();
    }
    previous.current = status;
  }, [status, client]);

  return status;
}
