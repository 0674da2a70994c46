import type { RepositoryDockerfilesDto, WatchedFilesDto } from '@dangus/common';
import { useMutation } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { watchPathLines } from './service-form-model';

/** The Dockerfiles of a branch's head, with a context and watch paths suggested for each (`GET /api/repository/dockerfiles`). */
export function useFindDockerfiles() {
  return useMutation({
    mutationFn: ({ repoUrl, branch }: { repoUrl: string; branch: string }) =>
      api.get<RepositoryDockerfilesDto>(`/api/repository/dockerfiles?${new URLSearchParams({ repoUrl, branch }).toString()}`),
  });
}

/** Which files of the branch's head the watch paths select (`GET /api/repository/watched-files`). */
export function usePreviewWatchedFiles() {
  return useMutation({
    mutationFn: ({ repoUrl, branch, watchPaths }: { repoUrl: string; branch: string; watchPaths: string }) => {
      const query = new URLSearchParams({ repoUrl, branch });
      for (const line of watchPathLines(watchPaths)) query.append('watchPaths', line);
      return api.get<WatchedFilesDto>(`/api/repository/watched-files?${query.toString()}`);
    },
  });
}
