import type { UserDto } from '@dangus/common';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { ApiError } from '../../../lib/api-error';
import { queryKeys } from '../../../lib/query-keys';

const meKey = queryKeys.me;

/** Which sign-in the server offers (`GET /auth/config`). */
export interface AuthConfig {
  github: boolean;
  local: boolean;
  /** A GitHub App is connected. */
  githubApp: boolean;
}

/** The signed-in user, or `null` when there is no session (401). */
export function useMe() {
  return useQuery({
    queryKey: meKey,
    queryFn: async (): Promise<UserDto | null> => {
      try {
        return await api.get<UserDto>('/auth/me');
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
    retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
  });
}

/** The signed-in user, for components under the signed-in layout. */
export function useUser(): UserDto {
  const { data } = useMe();
  if (!data) throw new Error('useUser() is only used under the signed-in layout.');
  return data;
}

export function useAuthConfig() {
  return useQuery({
    queryKey: queryKeys.authConfig,
    queryFn: () => api.get<AuthConfig>('/auth/config'),
    staleTime: Infinity,
    retry: false,
  });
}

export function useLocalSignIn() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<undefined>('/auth/local'),
    onSuccess: () => client.invalidateQueries({ queryKey: meKey }),
  });
}

export function useSignOut() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<undefined>('/auth/logout'),
    onSettled: () => {
      client.clear();
      client.setQueryData(meKey, null);
    },
  });
}
