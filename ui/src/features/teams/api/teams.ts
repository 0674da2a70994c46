import type { ActivityEntryDto, CreateInvitationInput, CreateTeamInput, InvitationDto, TeamDto, TeamMemberDto, TeamRole } from '@dangus/common';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { queryKeys } from '../../../lib/query-keys';

const team = (id: string) => `/api/teams/${encodeURIComponent(id)}`;

export function useTeams() {
  return useQuery({ queryKey: queryKeys.teams(), queryFn: () => api.get<TeamDto[]>('/api/teams') });
}

export function useTeam(id: string) {
  return useQuery({ queryKey: queryKeys.team(id), queryFn: () => api.get<TeamDto>(team(id)) });
}

export function useMembers(id: string) {
  return useQuery({ queryKey: queryKeys.teamMembers(id), queryFn: () => api.get<TeamMemberDto[]>(`${team(id)}/members`) });
}

export function useTeamActivity(id: string, filter: { action: string; actor: string }) {
  const query = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== '')).toString();
  return useQuery({
    queryKey: [...queryKeys.teamActivity(id), query],
    queryFn: () => api.get<ActivityEntryDto[]>(`${team(id)}/activity${query ? `?${query}` : ''}`),
  });
}

function useInvalidateTeams() {
  const client = useQueryClient();
  return () => Promise.all([client.invalidateQueries({ queryKey: queryKeys.teamsAll }), client.invalidateQueries({ queryKey: queryKeys.projects })]);
}

export function useCreateTeam() {
  const invalidate = useInvalidateTeams();
  return useMutation({ mutationFn: (input: CreateTeamInput) => api.post<TeamDto>('/api/teams', input), onSettled: invalidate });
}

export function useChangeRole(teamId: string) {
  const invalidate = useInvalidateTeams();
  return useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: TeamRole }) => api.patch<TeamMemberDto>(`${team(teamId)}/members/${encodeURIComponent(userId)}`, { role }),
    onSettled: invalidate,
  });
}

export function useRemoveMember(teamId: string) {
  const invalidate = useInvalidateTeams();
  return useMutation({ mutationFn: (userId: string) => api.delete(`${team(teamId)}/members/${encodeURIComponent(userId)}`), onSettled: invalidate });
}

export function useInvite(teamId: string) {
  const invalidate = useInvalidateTeams();
  return useMutation({ mutationFn: (input: CreateInvitationInput) => api.post<InvitationDto>(`${team(teamId)}/invitations`, input), onSettled: invalidate });
}

export function useAcceptInvitation() {
  const invalidate = useInvalidateTeams();
  return useMutation({ mutationFn: (token: string) => api.post<TeamDto>('/api/invitations/accept', { token }), onSettled: invalidate });
}
