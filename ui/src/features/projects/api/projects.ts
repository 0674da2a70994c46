import type { CreateProjectInput, ProjectDetailDto, ProjectDto } from '@dangus/common';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { isInProgress, type StatusCounts } from '../../../lib/status';
import { useLiveRefetchInterval } from '../../../lib/live-status';
import { queryKeys } from '../../../lib/query-keys';

/**
 * A project as the dashboard lists it. `statusCounts` is not in ProjectDto
 * yet; when the api adds it the dashboard shows live/building/failed counts
 * without fetching every project's detail.
 */
export type ProjectListItem = ProjectDto & { statusCounts?: StatusCounts };


export function useProjects() {
  const refetchInterval = useLiveRefetchInterval<ProjectListItem[]>();
  return useQuery({
    queryKey: queryKeys.projectList(),
    queryFn: () => api.get<ProjectListItem[]>('/api/projects'),
    refetchInterval,
  });
}

export function useProject(id: string) {
  const refetchInterval = useLiveRefetchInterval<ProjectDetailDto>(
    (data) => data?.services.some((s) => isInProgress(s.status)) ?? false,
  );
  return useQuery({
    queryKey: queryKeys.project(id),
    queryFn: () => api.get<ProjectDetailDto>(`/api/projects/${encodeURIComponent(id)}`),
    refetchInterval,
    enabled: id !== '',
  });
}

export function useCreateProject() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateProjectInput) => api.post<ProjectDto>('/api/projects', input),
    onSuccess: (project) => {
      client.setQueryData<ProjectListItem[]>(queryKeys.projectList(), (old) =>
        old ? [...old.filter((p) => p.id !== project.id), project] : old,
      );
      return client.invalidateQueries({ queryKey: queryKeys.projects });
    },
  });
}

export function useDeleteProject() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.delete(`/api/projects/${encodeURIComponent(id)}`),
    onSuccess: (_void, id) => {
      client.setQueryData<ProjectListItem[]>(queryKeys.projectList(), (old) => old?.filter((p) => p.id !== id));
      client.removeQueries({ queryKey: queryKeys.project(id) });
      return client.invalidateQueries({ queryKey: queryKeys.projectList() });
    },
  });
}
