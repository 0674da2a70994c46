import { type TeamDto, type TeamMemberDto, type TeamRole } from '@dangus/common';
import { useState } from 'react';
import { Alert, Button, ConfirmDialog, CopyField, Field, Input, LoadingBlock } from '../../../components/ui';
import { errorMessage } from '../../../lib/api-error';
import { useChangeRole, useInvite, useMembers, useRemoveMember } from '../api/teams';
import { RoleSelect } from './role-select';

/** Why a control is off for someone who is not an owner: shown beside it. */
export function notOwnerReason(role: TeamRole): string {
  return `Your role on this team is ${role}: managing members needs owner.`;
}

/** The members and their roles: owners change roles and remove; everyone else reads, and may leave. */
export function MembersPanel({ team, me }: { team: TeamDto; me: string }) {
  const members = useMembers(team.id);
  const change = useChangeRole(team.id);
  const remove = useRemoveMember(team.id);
  const [removing, setRemoving] = useState<TeamMemberDto | null>(null);
  const owner = team.role === 'owner';
  if (members.isPending) return <LoadingBlock />;
  if (members.error) return <Alert tone="error" title="Could not load the members">{errorMessage(members.error)}</Alert>;
  return (
    <div className="space-y-3">
      {owner ? null : (
        <p id="members-read-only" className="text-sm text-muted">
          {notOwnerReason(team.role)}
        </p>
      )}
      <ul className="divide-y divide-line" aria-label="Members">
        {members.data.map((m) => (
          <li key={m.userId} className="flex flex-wrap items-center gap-3 py-3">
            <span className="font-medium">@{m.githubUsername}</span>
            <label className="sr-only" htmlFor={`role-${m.userId}`}>
              Role of @{m.githubUsername}
            </label>
            <RoleSelect
              id={`role-${m.userId}`}
              style={{ width: 'auto' }}
              value={m.role}
              disabled={!owner || change.isPending}
              title={owner ? undefined : notOwnerReason(team.role)}
              aria-describedby={owner ? undefined : 'members-read-only'}
              onRole={(next) => change.mutate({ userId: m.userId, role: next })}
            />
            <span className="ml-auto">
              {owner || m.githubUsername === me ? (
                <Button size="sm" variant="ghost" onClick={() => setRemoving(m)}>
                  {m.githubUsername === me ? 'Leave' : 'Remove'}
                </Button>
              ) : null}
            </span>
          </li>
        ))}
      </ul>
      {change.error ? <Alert tone="error" title="Could not change the role">{errorMessage(change.error)}</Alert> : null}
      {remove.error ? <Alert tone="error" title="Could not remove the member">{errorMessage(remove.error)}</Alert> : null}
      <ConfirmDialog
        open={removing !== null}
        title={removing?.githubUsername === me ? `Leave ${team.name}?` : `Remove @${removing?.githubUsername ?? ''}?`}
        confirmLabel={removing?.githubUsername === me ? 'Leave' : 'Remove'}
        onClose={() => setRemoving(null)}
        onConfirm={() => {
          if (removing) remove.mutate(removing.userId);
          setRemoving(null);
        }}
      >
        Their access to the team&apos;s projects ends at once, open log streams included.
      </ConfirmDialog>
    </div>
  );
}

/** Owners invite by GitHub login, or make a link; the link is shown once. */
export function InvitePanel({ team, admin = false }: { team: TeamDto; admin?: boolean }) {
  const [login, setLogin] = useState('');
  const [admit, setAdmit] = useState(false);
  const [role, setRole] = useState<TeamRole>('developer');
  const invite = useInvite(team.id);
  if (team.role !== 'owner') return <p className="text-sm text-muted">{notOwnerReason(team.role)}</p>;
  const link = invite.data?.token ? `${window.location.origin}/teams?invite=${invite.data.token}` : null;
  return (
    <form
      noValidate
      className="space-y-3"
      onSubmit={(event) => {
        event.preventDefault();
        invite.mutate({ role, ...(login.trim() ? { githubLogin: login.trim() } : {}), ...(admin && admit && login.trim() ? { admitOutsideAllowlist: true } : {}) });
      }}
    >
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="GitHub login" hint="Empty: a link anyone signed in can use once.">
          {(ids) => <Input {...ids} name="invite-login" value={login} onChange={(e) => setLogin(e.target.value)} placeholder="octocat" spellCheck={false} />}
        </Field>
        <Field label="Role">
          {(ids) => (
            <RoleSelect {...ids} name="invite-role" value={role} onRole={setRole} />
          )}
        </Field>
      </div>
      {admin ? (
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={admit} disabled={!login.trim()} onChange={(e) => setAdmit(e.target.checked)} />
          Let this login sign in though the sign-in allowlist does not name it (admins; an invitation by login only)
        </label>
      ) : null}
      <Button type="submit" variant="primary" loading={invite.isPending}>
        Invite
      </Button>
      {link ? (
        <div className="space-y-1">
          <p className="text-sm text-muted">
            Invitation for {invite.data?.githubLogin ? `@${invite.data.githubLogin}` : 'anyone signed in'}: shown once, usable once, until {invite.data?.expiresAt ?? ''}.
          </p>
          <CopyField label="Invitation link" value={link} />
        </div>
      ) : null}
      {invite.error ? <Alert tone="error" title="Could not invite">{errorMessage(invite.error)}</Alert> : null}
    </form>
  );
}
