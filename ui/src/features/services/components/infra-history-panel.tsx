import { useState } from 'react';
import { Link } from 'react-router';
import type { HistoryCommitDto } from '@dangus/common';
import { Button, CopyButton, LoadingBlock, Section } from '../../../components/ui';
import { commitUrl, formatAbsolute, formatRelative, shortSha } from '../../../lib/format';
import { useHistoryCommit, useServiceHistory } from '../api/service-history';
import { DiffView } from './diff-view';
import { PanelError } from './unavailable';

function CommitDiff({ serviceId, sha }: { serviceId: string; sha: string }) {
  const commit = useHistoryCommit(serviceId, sha, true);
  if (commit.isPending) return <LoadingBlock label="Loading the diff…" />;
  if (commit.error) return <PanelError error={commit.error} what="This commit" />;
  return <DiffView diff={commit.data.diff} />;
}

function CommitRow({
  serviceId,
  repoUrl,
  commit,
  deploymentPath,
}: {
  serviceId: string;
  repoUrl: string;
  commit: HistoryCommitDto;
  deploymentPath: (id: string) => string;
}) {
  const [open, setOpen] = useState(false);
  const added = commit.files.reduce((sum, f) => sum + f.added, 0);
  const removed = commit.files.reduce((sum, f) => sum + f.removed, 0);
  const show = `git show ${commit.sha}`;
  return (
    <li>
      <details className="group rounded-md border border-line bg-bg" onToggle={(event) => setOpen(event.currentTarget.open)}>
        <summary className="flex cursor-pointer flex-wrap items-center gap-x-3 gap-y-1 px-4 py-2.5 text-sm">
          <code className="font-mono text-accent">{shortSha(commit.sha)}</code>
          <span className="min-w-0 flex-1 basis-56 break-words text-fg">{commit.subject}</span>
          <span className="font-mono text-xs">
            <span className="text-ok" aria-label={`${String(added)} lines added`}>+{added}</span>{' '}
            <span className="text-bad" aria-label={`${String(removed)} lines removed`}>−{removed}</span>
          </span>
          <span className="text-xs text-muted">
            {commit.actor ?? commit.author.name} ·{' '}
            <time dateTime={commit.author.date} title={formatAbsolute(commit.author.date)}>
              {formatRelative(commit.author.date)}
            </time>
          </span>
        </summary>
        <div className="space-y-3 border-t border-line p-3">
          <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-4 gap-y-1 text-xs">
            {commit.deploymentId ? (
              <>
                <dt className="text-muted">Deployment</dt>
                <dd>
                  <Link to={deploymentPath(commit.deploymentId)} className="font-mono">
                    {commit.deploymentId.slice(0, 8)}
                  </Link>
                </dd>
              </>
            ) : null}
            {commit.sourceCommit ? (
              <>
                <dt className="text-muted">Source commit</dt>
                <dd>
                  <a href={commitUrl(repoUrl, commit.sourceCommit)} target="_blank" rel="noreferrer" className="font-mono">
                    {shortSha(commit.sourceCommit)}
                  </a>
                </dd>
              </>
            ) : null}
            <dt className="text-muted">Files</dt>
            <dd className="font-mono">{commit.files.map((f) => f.path).join(', ')}</dd>
            <dt className="text-muted">In a clone of /state.git</dt>
            <dd className="flex flex-wrap items-center gap-2">
              <code className="font-mono break-all text-fg">{show}</code>
              <CopyButton value={show} label="Copy the git command" />
            </dd>
          </dl>
          {open ? <CommitDiff serviceId={serviceId} sha={commit.sha} /> : null}
        </div>
      </details>
    </li>
  );
}

/** The state-repo commits that touched this service or its project's shared files, newest first. */
export function InfraHistoryPanel({
  serviceId,
  repoUrl,
  deploymentPath,
}: {
  serviceId: string;
  repoUrl: string;
  deploymentPath: (id: string) => string;
}) {
  const history = useServiceHistory(serviceId);
  const commits = history.data?.pages.flatMap((page) => page.commits) ?? [];
  return (
    <Section
      id="infrastructure"
      title="Infrastructure history"
      description="Every change to this service’s manifests, and to its project’s, is a commit in the state repo. Open one to read its diff."
    >
      {history.isPending ? <LoadingBlock label="Loading commits…" /> : null}
      {history.error ? <PanelError error={history.error} what="Infrastructure history" /> : null}
      {history.data && commits.length === 0 ? (
        <p className="text-sm text-muted">No commits yet: the first one is written when the service is created.</p>
      ) : null}
      {commits.length > 0 ? (
        <ul className="space-y-2" aria-label="State repo commits">
          {commits.map((commit) => (
            <CommitRow key={commit.sha} serviceId={serviceId} repoUrl={repoUrl} commit={commit} deploymentPath={deploymentPath} />
          ))}
        </ul>
      ) : null}
      {history.hasNextPage ? (
        <Button onClick={() => void history.fetchNextPage()} loading={history.isFetchingNextPage}>
          Older commits
        </Button>
      ) : null}
    </Section>
  );
}
