import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { queryKeys } from '../../../lib/query-keys';

/**
 * One recorded GitHub webhook delivery (`GET /api/services/:id/webhook-deliveries`).
 * Not in @dangus/common yet: every field but the id is read defensively.
 */
export interface WebhookDeliveryView {
  id: string;
  /** GitHub's X-GitHub-Delivery id. */
  deliveryId?: string;
  /** X-GitHub-Event: `push`, `ping`, … */
  event?: string;
  receivedAt?: string;
  createdAt?: string;
  /** What the api did: `deployed`, `ignored`, `rejected`, `duplicate`, … */
  outcome?: string;
  /** Why, in words ("branch dev is not main", "bad signature"). */
  reason?: string | null;
  statusCode?: number;
  deploymentId?: string | null;
  /** Came through the GitHub App's webhook: GitHub can send it again. */
  viaApp?: boolean;
}

/** `accepted`: what GitHub sent with a valid signature; `rejected`: refused posts (anyone can send those). */
export type DeliveryFilter = 'accepted' | 'rejected';

export function useWebhookDeliveries(serviceId: string, outcome: DeliveryFilter = 'accepted') {
  return useQuery({
    queryKey: [...queryKeys.webhookDeliveries(serviceId), outcome],
    queryFn: () =>
      api.get<WebhookDeliveryView[]>(`/api/services/${encodeURIComponent(serviceId)}/webhook-deliveries?outcome=${outcome}`),
  });
}

/** "Redeliver": GitHub sends an App delivery again (its redelivery API); the list is read again after it. */
export function useRedeliver(serviceId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (deliveryId: string) =>
      api.post<{ redelivered: true }>(`/api/services/${encodeURIComponent(serviceId)}/webhook-deliveries/${encodeURIComponent(deliveryId)}/redeliver`),
    onSuccess: () => {
      // GitHub posts it within seconds: read the list again then.
      setTimeout(() => void client.invalidateQueries({ queryKey: queryKeys.webhookDeliveries(serviceId) }), 3_000);
    },
  });
}
