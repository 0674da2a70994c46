import type { RepositoryBranchesDto, UserRepositoryDto } from '@dangus/common';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { ApiError } from '../../../lib/api-error';

/** `GET /api/github/repositories`: one repository the signed-in user reaches through the GitHub App. */
export type GitHubRepository = UserRepositoryDto;

/** `GET /api/github/repositories/{owner}/{repo}/branches`. */
export type RepositoryBranches = RepositoryBranchesDto;

const keys = {
  repositories: ['github', 'repositories'] as const,
  branches: (fullName: string) => ['github', 'repositories', fullName.toLowerCase(), 'branches'] as const,
  installPage: ['github', 'installation-page'] as const,
};

/** Whether the api said no GitHub App is connected (the form is then the manual one). */
export function isNoGitHubApp(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'no_github_app';
}

/** The repositories the user can pick, fetched once per form (the search filters them as one types). */
export function useGitHubRepositories(enabled = true) {
  return useQuery({
    queryKey: keys.repositories,
    queryFn: () => api.get<GitHubRepository[]>('/api/github/repositories'),
    enabled,
    staleTime: 10_000,
  });
}

/** The branches of `owner/repo` (`null`: none asked), read through the App's installation. */
export function useRepositoryBranches(fullName: string | null) {
  return useQuery({
    queryKey: keys.branches(fullName ?? ''),
    queryFn: () => {
      const [owner = '', repo = ''] = (fullName ?? '').split('/');
      return api.get<RepositoryBranches>(`/api/github/repositories/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/branches`);
    },
    enabled: fullName !== null,
    staleTime: 10_000,
  });
}

/** The App's installation page ("Install on another account"), once an App is connected. */
export function useInstallationPage(enabled: boolean) {
  return useQuery({
    queryKey: keys.installPage,
    queryFn: () => api.get<{ url: string }>('/api/github/installations/new'),
    enabled,
    staleTime: Infinity,
    retry: false,
  });
}

/** The repository of the user's list whose URL is `repoUrl` (as typed or picked), if any. */
export function findRepository(repositories: readonly GitHubRepository[] | undefined, repoUrl: string): GitHubRepository | undefined {
  const url = repoUrl.trim().replace(/\.git$/, '').toLowerCase();
  return url === '' ? undefined : repositories?.find((r) => r.repoUrl.toLowerCase() === url);
}

/** Repositories matching a search: words of `owner/name` (a pasted GitHub URL works too), at most `limit`. */
export function searchRepositories(repositories: readonly GitHubRepository[], query: string, limit: number): GitHubRepository[] {
  const words = query
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\/github\.com\//, '')
    .replace(/\.git$/, '')
    .split(/\s+/)
    .filter((w) => w !== '');
  const matches = repositories.filter((r) => words.every((w) => r.fullName.toLowerCase().includes(w)));
  // A repository whose own name starts with the search comes first.
  const first = words[0] ?? '';
  const starts = (r: GitHubRepository) => (r.fullName.toLowerCase().split('/')[1] ?? '').startsWith(first);
  return [...matches.filter(starts), ...matches.filter((r) => !starts(r))].slice(0, limit);
}
