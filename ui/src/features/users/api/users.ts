import type { AccessRequestDto, AdminUserDto, UserLimitsDto } from '@dangus/common';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { queryKeys } from '../../../lib/query-keys';

export function useUsers() {
  return useQuery({ queryKey: queryKeys.users(), queryFn: () => api.get<AdminUserDto[]>('/api/admin/users') });
}

export function useAccessRequests() {
  return useQuery({
    queryKey: queryKeys.accessRequests(),
    queryFn: () => api.get<AccessRequestDto[]>('/api/admin/access-requests'),
    // People ask while the page is open.
    refetchInterval: 15_000,
  });
}

export function useLimits() {
  return useQuery({ queryKey: queryKeys.limits(), queryFn: () => api.get<UserLimitsDto>('/api/admin/limits') });
}

export type UserAction = 'block' | 'unblock' | 'promote' | 'demote';

/** Every change refreshes both lists: an allowed request becomes a user at their next sign-in. */
function useInvalidate() {
  const client = useQueryClient();
  return () => Promise.all([client.invalidateQueries({ queryKey: queryKeys.users() }), client.invalidateQueries({ queryKey: queryKeys.accessRequests() })]);
}

export function useChangeUser() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ id, action }: { id: string; action: UserAction }) => api.post<AdminUserDto>(`/api/admin/users/${encodeURIComponent(id)}/${action}`),
    onSettled: invalidate,
  });
}

export function useRemoveUser() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ id, deleteProjects }: { id: string; deleteProjects: boolean }) =>
      api.delete(`/api/admin/users/${encodeURIComponent(id)}?deleteProjects=${String(deleteProjects)}`),
    onSettled: invalidate,
  });
}

export function useAnswerRequest() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ id, answer }: { id: string; answer: 'allow' | 'dismiss' }) =>
      api.post<undefined>(`/api/admin/access-requests/${encodeURIComponent(id)}/${answer}`),
    onSettled: invalidate,
  });
}
