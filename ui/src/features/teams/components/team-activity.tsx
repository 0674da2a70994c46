import type { TeamDto } from '@dangus/common';
import { useState } from 'react';
import { Alert, EmptyState, Field, Input, LoadingBlock } from '../../../components/ui';
import { errorMessage } from '../../../lib/api-error';
import { formatAbsolute, formatRelative } from '../../../lib/format';
import { useTeamActivity } from '../api/teams';

/** The team's activity log: who did what, when and from where, each state-repo change with its commit. */
export function ActivityPanel({ team }: { team: TeamDto }) {
  const [filter, setFilter] = useState({ action: '', actor: '' });
  const log = useTeamActivity(team.id, filter);
  return (
    <div className="space-y-3">
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Action" hint="e.g. create, update, env, deploy, member.remove">
          {(ids) => <Input {...ids} name="activity-action" value={filter.action} onChange={(e) => setFilter({ ...filter, action: e.target.value })} />}
        </Field>
        <Field label="Who" hint="A GitHub login">
          {(ids) => <Input {...ids} name="activity-actor" value={filter.actor} onChange={(e) => setFilter({ ...filter, actor: e.target.value })} />}
        </Field>
      </div>
      {log.isPending ? <LoadingBlock /> : null}
      {log.error ? <Alert tone="error" title="Could not load the activity">{errorMessage(log.error)}</Alert> : null}
      {log.data?.length === 0 ? <EmptyState title="Nothing yet">Changes to the team and its projects appear here.</EmptyState> : null}
      {log.data && log.data.length > 0 ? (
        <ul className="divide-y divide-line" aria-label="Activity">
          {log.data.map((e) => (
            <li key={e.id} className="flex flex-wrap items-baseline gap-x-3 gap-y-1 py-2 text-sm">
              <time dateTime={e.createdAt} title={formatAbsolute(e.createdAt)} className="text-muted">
                {formatRelative(e.createdAt)}
              </time>
              <span className="font-medium">@{e.actor}</span>
              <code>{e.action}</code>
              <span className="min-w-0 break-all">{e.subject}</span>
              {e.commitSha ? <code className="text-xs text-muted" title="The state-repo commit">{e.commitSha.slice(0, 7)}</code> : null}
              <span className="ml-auto text-xs text-muted" title={e.userAgent ?? undefined}>
                {e.ip ?? ''}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
