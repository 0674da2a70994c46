import type { AccessRequestDto, AdminUserDto } from '@dangus/common';
import { useState } from 'react';
import { Alert, Badge, Button, ConfirmDialog, EmptyState, LoadingBlock, Section } from '../../../components/ui';
import { errorMessage } from '../../../lib/api-error';
import { formatAbsolute, formatRelative } from '../../../lib/format';
import { useUser } from '../../auth/api/auth';
import { useAccessRequests, useAnswerRequest, useChangeUser, useLimits, useRemoveUser, useUsers, type UserAction } from '../api/users';

function Avatar({ url, login }: { url: string | null; login: string }) {
  // GitHub's avatar, or the initial when there is none or it does not load.
  const [failed, setFailed] = useState(false);
  return url && !failed ? (
    <img src={url} alt="" className="size-7 rounded-full border border-line" onError={() => setFailed(true)} />
  ) : (
    <span aria-hidden="true" className="flex size-7 items-center justify-center rounded-full bg-surface-2 text-xs uppercase">
      {login.slice(0, 1)}
    </span>
  );
}

function When({ iso, never }: { iso: string | null; never: string }) {
  return iso ? <time dateTime={iso} title={formatAbsolute(iso)}>{formatRelative(iso)}</time> : <span className="text-muted">{never}</span>;
}

/** People the sign-in policy did not let in: allow (their next sign-in works) or dismiss. */
function AccessRequests() {
  const requests = useAccessRequests();
  const answer = useAnswerRequest();
  if (requests.isPending) return <LoadingBlock />;
  if (requests.error) return <Alert tone="error" title="Could not load the requests">{errorMessage(requests.error)}</Alert>;
  if (requests.data.length === 0) {
    return <EmptyState title="No one is waiting">People who sign in but are not allowed appear here, for you to let in.</EmptyState>;
  }
  return (
    <ul className="divide-y divide-line">
      {requests.data.map((r: AccessRequestDto) => (
        <li key={r.id} className="flex flex-wrap items-center gap-3 py-3">
          <Avatar url={r.avatarUrl} login={r.login} />
          <span className="font-medium">@{r.login}</span>
          <span className="text-sm text-muted">
            asked <When iso={r.requestedAt} never="" />
          </span>
          <span className="ml-auto flex gap-2">
            <Button size="sm" variant="primary" loading={answer.isPending} onClick={() => answer.mutate({ id: r.id, answer: 'allow' })}>
              Allow
            </Button>
            <Button size="sm" variant="ghost" onClick={() => answer.mutate({ id: r.id, answer: 'dismiss' })}>
              Dismiss
            </Button>
          </span>
        </li>
      ))}
      {answer.error ? <Alert tone="error" title="Could not answer the request">{errorMessage(answer.error)}</Alert> : null}
    </ul>
  );
}

/** The account's GitHub id, and the listed logins pinned to it (a recycled login names no one else). */
function GitHubAccount({ user }: { user: AdminUserDto }) {
  return (
    <span className="mt-0.5 block text-xs text-muted">
      GitHub #{user.githubId}
      {user.pinnedLogins.length > 0 ? (
        <span title={`Listed in the settings: the login is pinned to this account; a new account with it is refused (list id:${user.githubId} to follow a rename).`}>
          {' '}
          · pinned: {user.pinnedLogins.join(', ')}
        </span>
      ) : null}
    </span>
  );
}

function UserRow({ user, self, onRemove }: { user: AdminUserDto; self: boolean; onRemove: (user: AdminUserDto) => void }) {
  const change = useChangeUser();
  const act = (action: UserAction) => change.mutate({ id: user.id, action });
  return (
    <tr className="border-t border-line align-middle">
      <td className="py-2 pr-3">
        <span className="flex items-center gap-2">
          <Avatar url={user.avatarUrl} login={user.githubUsername} />
          <span className="font-medium">@{user.githubUsername}</span>
          {self ? <span className="text-xs text-muted">(you)</span> : null}
        </span>
        <GitHubAccount user={user} />
      </td>
      <td className="py-2 pr-3">
        <Badge tone={user.role === 'admin' ? 'ok' : 'idle'}>{user.role}</Badge>
      </td>
      <td className="py-2 pr-3">
        <Badge tone={user.status === 'active' ? 'ok' : 'bad'}>{user.status}</Badge>
      </td>
      <td className="py-2 pr-3 tabular-nums">{user.projects}</td>
      <td className="py-2 pr-3 text-sm">
        <When iso={user.lastSignInAt} never="never" />
      </td>
      <td className="py-2">
        <span className="flex flex-wrap justify-end gap-1">
          {user.status === 'active' ? (
            <Button size="sm" variant="ghost" loading={change.isPending} onClick={() => act('block')}>
              Block
            </Button>
          ) : (
            <Button size="sm" variant="ghost" loading={change.isPending} onClick={() => act('unblock')}>
              Allow
            </Button>
          )}
          {user.role === 'member' ? (
            <Button size="sm" variant="ghost" onClick={() => act('promote')}>
              Make admin
            </Button>
          ) : (
            <Button size="sm" variant="ghost" onClick={() => act('demote')}>
              Make member
            </Button>
          )}
          <Button size="sm" variant="danger" onClick={() => onRemove(user)}>
            Remove
          </Button>
        </span>
        {change.error ? <p className="mt-1 text-right text-sm text-bad">{errorMessage(change.error)}</p> : null}
      </td>
    </tr>
  );
}

/** The admins' Users page: who is in, who asks, the limits per user. */
export function UsersPanels() {
  const me = useUser();
  const users = useUsers();
  const limits = useLimits();
  const remove = useRemoveUser();
  const [removing, setRemoving] = useState<AdminUserDto | null>(null);
  const [withProjects, setWithProjects] = useState(false);

  return (
    <div className="space-y-6">
      <Section id="requests" title="Waiting to be let in" description="The sign-in policy refused them; you decide.">
        <AccessRequests />
      </Section>
      <Section id="users" title="Users" description="Blocking or removing someone ends their sessions at once and refuses their services' webhooks.">
        {users.isPending ? (
          <LoadingBlock />
        ) : users.error ? (
          <Alert tone="error" title="Could not load the users">{errorMessage(users.error)}</Alert>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <thead className="text-muted">
                <tr>
                  <th className="py-2 pr-3 font-medium">User</th>
                  <th className="py-2 pr-3 font-medium">Role</th>
                  <th className="py-2 pr-3 font-medium">Status</th>
                  <th className="py-2 pr-3 font-medium">Projects</th>
                  <th className="py-2 pr-3 font-medium">Last sign-in</th>
                  <th className="py-2 font-medium">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {users.data.map((user) => (
                  <UserRow key={user.id} user={user} self={user.id === me.id} onRemove={(u) => { setWithProjects(false); setRemoving(u); }} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
      <Section id="limits" title="Limits per user and team" description="Settings of the server (MAX_*); 0 is no limit.">
        {limits.data ? (
          <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-3">
            {[
              ['Projects per user', limits.data.projectsPerUser],
              ['Services per project', limits.data.servicesPerProject],
              ['Env vars per service', limits.data.envVarsPerService],
              ['Env size per service (bytes)', limits.data.envBytesPerService],
              ['Live streams per user', limits.data.streamsPerUser],
              ['History requests at once per user', limits.data.historyRequestsPerUser],
              ['Teams a person may create', limits.data.teamsPerUser],
              ['Projects per team', limits.data.projectsPerTeam],
              ['Services per team', limits.data.servicesPerTeam],
            ].map(([label, value]) => (
              <div key={String(label)}>
                <dt className="text-muted">{label}</dt>
                <dd className="tabular-nums">{value === 0 ? 'no limit' : value}</dd>
              </div>
            ))}
            <div>
              <dt className="text-muted">Admins</dt>
              <dd>{limits.data.exemptAdmins ? 'exempt' : 'held to them too'}</dd>
            </div>
          </dl>
        ) : (
          <LoadingBlock />
        )}
      </Section>
      <ConfirmDialog
        open={removing !== null}
        title={`Remove @${removing?.githubUsername ?? ''}?`}
        confirmLabel="Remove"
        pending={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : undefined}
        onClose={() => setRemoving(null)}
        onConfirm={() => {
          if (removing) remove.mutate({ id: removing.id, deleteProjects: withProjects }, { onSuccess: () => setRemoving(null) });
        }}
      >
        <p>Their sessions end at once. They can ask to be let in again.</p>
        {removing && removing.projects > 0 ? (
          <label className="mt-3 flex items-center gap-2">
            <input type="checkbox" checked={withProjects} onChange={(e) => setWithProjects(e.target.checked)} />
            Also delete their {removing.projects} project(s): their namespaces are pruned from the cluster, through commits.
          </label>
        ) : null}
      </ConfirmDialog>
    </div>
  );
}
