import type { AppDeliveryDto, RedeliveryDto } from '@dangus/common';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';

/** `GET /api/system/github-app`: the GitHub App and its installations (admins). */
export interface GitHubAppView {
  connected: boolean;
  source: 'environment' | 'manifest' | null;
  name: string | null;
  slug: string | null;
  htmlUrl: string | null;
  installUrl: string | null;
  installations: { id: number; account: string; accountType: string; repositorySelection: string; suspended: boolean; repositories: number }[];
}

export interface ManifestRequest {
  owner: 'user' | 'organization';
  organization?: string;
  name?: string;
}

export function useGitHubApp() {
  return useQuery({
    queryKey: ['system', 'github-app'] as const,
    queryFn: () => api.get<GitHubAppView>('/api/system/github-app'),
  });
}

/**
 * Starts GitHub's App manifest flow: the api renders the manifest with a one-time state,
 * and the browser posts it to GitHub's form (a top-level form post, as GitHub requires).
 */
export function useConnectGitHub() {
  return useMutation({
    mutationFn: (body: ManifestRequest) => api.post<{ action: string; manifest: string }>('/api/system/github-app/manifest', body),
    onSuccess: ({ action, manifest }) => {
      const form = document.createElement('form');
      form.method = 'post';
      form.action = action;
      const field = document.createElement('input');
      field.type = 'hidden';
      field.name = 'manifest';
      field.value = manifest;
      form.append(field);
      document.body.append(form);
      form.submit();
    },
  });
}

/** `GET /api/system/github-app/deliveries`: one delivery to the App's webhook and what it did. */
export type AppDeliveryView = AppDeliveryDto;

const deliveriesKey = ['system', 'github-app', 'deliveries'] as const;

export function useAppDeliveries() {
  return useQuery({
    queryKey: deliveriesKey,
    queryFn: () => api.get<AppDeliveryView[]>('/api/system/github-app/deliveries'),
  });
}

/** Asks GitHub to send a delivery again; it arrives at the webhook as a new row. */
export function useRedeliver() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.post<RedeliveryDto>(`/api/system/github-app/deliveries/${encodeURIComponent(id)}/redeliver`),
    onSuccess: () => client.invalidateQueries({ queryKey: deliveriesKey }),
  });
}
