import type { BucketDto, ObjectStorageDto } from '@dangus/common';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request } from '../../../lib/api-client';
import { queryKeys } from '../../../lib/query-keys';

const base = (serviceId: string) => `/api/services/${encodeURIComponent(serviceId)}/object-storage`;
const key = (serviceId: string) => ['services', serviceId, 'object-storage'] as const;

/** The service's bucket, its endpoint and usage (README "Object storage"). */
export function useObjectStorage(serviceId: string) {
  return useQuery({ queryKey: key(serviceId), queryFn: () => request<ObjectStorageDto>('GET', base(serviceId)) });
}

/** Enable, rotate, disable: each is a commit and a rollout, so the history and status move too. */
function useStorageChange(serviceId: string, change: () => Promise<ObjectStorageDto>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: change,
    onSuccess: (answer) => {
      client.setQueryData(key(serviceId), answer);
      return Promise.all([
        client.invalidateQueries({ queryKey: queryKeys.serviceHistory(serviceId) }),
        client.invalidateQueries({ queryKey: queryKeys.service(serviceId) }),
      ]);
    },
  });
}

export const useEnableObjectStorage = (serviceId: string) => useStorageChange(serviceId, () => request<ObjectStorageDto>('PUT', base(serviceId)));
export const useRotateObjectStorageKey = (serviceId: string) => useStorageChange(serviceId, () => request<ObjectStorageDto>('POST', `${base(serviceId)}/rotate`));
export const useDisableObjectStorage = (serviceId: string) => useStorageChange(serviceId, () => request<ObjectStorageDto>('DELETE', base(serviceId)));

/** "Delete now": a kept bucket and its objects go at once. */
export function useDeleteBucketNow(serviceId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (bucket: BucketDto) => request<undefined>('DELETE', `/api/buckets/${encodeURIComponent(bucket.id)}`),
    onSuccess: () => client.invalidateQueries({ queryKey: key(serviceId) }),
  });
}
