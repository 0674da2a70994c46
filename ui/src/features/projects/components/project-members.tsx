import { type ProjectMemberDto, type TeamRole } from '@dangus/common';
import { useState } from 'react';
import { Alert, Button, ConfirmDialog, Field, Input, LoadingBlock, Section } from '../../../components/ui';
import { errorMessage } from '../../../lib/api-error';
import { RoleSelect } from '../../teams/components/role-select';
import { useProjectMembers, useRemoveProjectRole, useSetProjectRole } from '../api/project-members';

const SOURCE: Record<ProjectMemberDto['source'], string> = {
  account: 'owns the project (their space)',
  team: 'from the team',
  project: 'on this project',
};

/** Why a control is off for someone who does not own the project. */
export function notProjectOwnerReason(role: TeamRole): string {
  return `Your role on this project is ${role}: giving roles on it needs owner.`;
}

/**
 * Who has a role on the project and where it comes from. Owners give someone a role on this
 * project alone (by GitHub login), change it, or take it away; the project's own owners (its
 * personal space, the team's owners) are fixed here.
 */
export function ProjectMembersPanel({ projectId, role, me }: { projectId: string; role: TeamRole; me: string }) {
  const list = useProjectMembers(projectId);
  const set = useSetProjectRole(projectId);
  const remove = useRemoveProjectRole(projectId);
  const [login, setLogin] = useState('');
  const [newRole, setNewRole] = useState<TeamRole>('developer');
  const [removing, setRemoving] = useState<ProjectMemberDto | null>(null);
  const owner = role === 'owner';
  const fixed = (m: ProjectMemberDto) => m.source === 'account' || m.teamRole === 'owner';
  return (
    <Section id="members" title="Members" description="Roles on this project alone: narrower or wider than a team role, for this project only.">
      {list.isPending ? <LoadingBlock /> : null}
      {list.error ? <Alert tone="error" title="Could not load the members">{errorMessage(list.error)}</Alert> : null}
      {owner ? null : (
        <p id="project-members-read-only" className="mb-2 text-sm text-muted">
          {notProjectOwnerReason(role)}
        </p>
      )}
      {list.data ? (
        <ul className="divide-y divide-line" aria-label="Project members">
          {list.data.map((m) => (
            <li key={m.userId} className="flex flex-wrap items-center gap-3 py-2">
              <span className="font-medium">@{m.githubUsername}</span>
              <span className="text-xs text-muted">{SOURCE[m.source]}{m.source === 'project' && m.teamRole ? ` (team: ${m.teamRole})` : ''}</span>
              <label className="sr-only" htmlFor={`project-role-${m.userId}`}>
                Role of @{m.githubUsername} on this project
              </label>
              <RoleSelect
                id={`project-role-${m.userId}`}
                className="ml-auto"
                style={{ width: 'auto' }}
                value={m.role}
                disabled={!owner || fixed(m) || set.isPending}
                title={!owner ? notProjectOwnerReason(role) : fixed(m) ? 'An owner of the project: change their role on the team.' : undefined}
                onRole={(next) => set.mutate({ login: m.githubUsername, role: next })}
              />
              {m.source === 'project' && (owner || m.githubUsername === me) ? (
                <Button size="sm" variant="ghost" onClick={() => setRemoving(m)}>
                  {m.githubUsername === me ? 'Drop mine' : 'Remove'}
                </Button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      {owner ? (
        <form
          noValidate
          className="mt-3 flex flex-wrap items-end gap-3"
          onSubmit={(event) => {
            event.preventDefault();
            if (login.trim()) set.mutate({ login: login.trim().replace(/^@/, ''), role: newRole }, { onSuccess: () => setLogin('') });
          }}
        >
          <Field label="GitHub login" hint="Someone who has signed in here.">
            {(ids) => <Input {...ids} name="project-member-login" value={login} onChange={(e) => setLogin(e.target.value)} placeholder="octocat" spellCheck={false} />}
          </Field>
          <Field label="Role">
            {(ids) => (
              <RoleSelect {...ids} name="project-member-role" value={newRole} onRole={setNewRole} />
            )}
          </Field>
          <Button type="submit" variant="primary" loading={set.isPending}>
            Give role
          </Button>
        </form>
      ) : null}
      {set.error ? <Alert tone="error" title="Could not give the role">{errorMessage(set.error)}</Alert> : null}
      {remove.error ? <Alert tone="error" title="Could not take the role away">{errorMessage(remove.error)}</Alert> : null}
      <ConfirmDialog
        open={removing !== null}
        title={`Take @${removing?.githubUsername ?? ''}'s role on this project away?`}
        confirmLabel="Remove"
        onClose={() => setRemoving(null)}
        onConfirm={() => {
          if (removing) remove.mutate(removing.githubUsername);
          setRemoving(null);
        }}
      >
        {removing?.teamRole ? `They keep their team role (${removing.teamRole}) here.` : 'They lose this project at once, open log streams included.'}
      </ConfirmDialog>
    </Section>
  );
}
