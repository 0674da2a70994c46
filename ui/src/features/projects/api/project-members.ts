import type { ProjectMemberDto, TeamRole } from '@dangus/common';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { queryKeys } from '../../../lib/query-keys';

const members = (projectId: string) => `/api/projects/${encodeURIComponent(projectId)}/members`;
const key = (projectId: string) => [...queryKeys.project(projectId), 'members'] as const;

export function useProjectMembers(projectId: string) {
  return useQuery({ queryKey: key(projectId), queryFn: () => api.get<ProjectMemberDto[]>(members(projectId)) });
}

function useInvalidate(projectId: string) {
  const client = useQueryClient();
  return () => Promise.all([client.invalidateQueries({ queryKey: key(projectId) }), client.invalidateQueries({ queryKey: queryKeys.project(projectId) })]);
}

export function useSetProjectRole(projectId: string) {
  const invalidate = useInvalidate(projectId);
  return useMutation({
    mutationFn: ({ login, role }: { login: string; role: TeamRole }) => api.put<ProjectMemberDto>(`${members(projectId)}/${encodeURIComponent(login)}`, { role }),
    onSettled: invalidate,
  });
}

export function useRemoveProjectRole(projectId: string) {
  const invalidate = useInvalidate(projectId);
  return useMutation({ mutationFn: (login: string) => api.delete(`${members(projectId)}/${encodeURIComponent(login)}`), onSettled: invalidate });
}
