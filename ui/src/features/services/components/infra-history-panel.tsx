import { LoadingBlock, Section } from '../../../components/ui';
import { formatAbsolute, formatRelative, shortSha } from '../../../lib/format';
import { useServiceHistory, type StateCommitView } from '../api/service-history';
import { DiffView } from './diff-view';
import { PanelError } from './unavailable';

function authorName(author: StateCommitView['author']): string | null {
  if (!author) return null;
  return typeof author === 'string' ? author : (author.name ?? author.email ?? null);
}

/** The state-repo commits that touched this service, each with its diff. */
export function InfraHistoryPanel({ serviceId }: { serviceId: string }) {
  const history = useServiceHistory(serviceId);
  return (
    <Section
      id="infrastructure"
      title="Infrastructure history"
      description="Every change to this service’s manifests is a commit in the state repo."
    >
      {history.isPending ? <LoadingBlock label="Loading commits…" /> : null}
      {history.error ? <PanelError error={history.error} what="Infrastructure history" /> : null}
      {history.data && history.data.length === 0 ? (
        <p className="text-sm text-muted">No commits yet: the first one is written when the service is created.</p>
      ) : null}
      {history.data && history.data.length > 0 ? (
        <ul className="space-y-2" aria-label="State repo commits">
          {history.data.map((commit) => {
            const subject = commit.subject ?? commit.message?.split('\n')[0] ?? '(no message)';
            const who = authorName(commit.author);
            return (
              <li key={commit.sha}>
                <details className="group rounded-md border border-line bg-bg">
                  <summary className="flex cursor-pointer flex-wrap items-center gap-x-3 gap-y-1 px-4 py-2.5 text-sm">
                    <code className="font-mono text-accent">{shortSha(commit.sha)}</code>
                    <span className="min-w-0 flex-1 basis-56 break-words text-fg">{subject}</span>
                    <span className="text-xs text-muted">
                      {who ? `${who} · ` : ''}
                      {commit.date ? (
                        <time dateTime={commit.date} title={formatAbsolute(commit.date)}>
                          {formatRelative(commit.date)}
                        </time>
                      ) : null}
                    </span>
                  </summary>
                  <div className="space-y-2 border-t border-line p-3">
                    {commit.message && commit.message.trim() !== subject ? (
                      <pre className="font-mono text-xs whitespace-pre-wrap text-muted">{commit.message.trim()}</pre>
                    ) : null}
                    {commit.diff ? <DiffView diff={commit.diff} /> : <p className="text-sm text-muted">No diff.</p>}
                  </div>
                </details>
              </li>
            );
          })}
        </ul>
      ) : null}
    </Section>
  );
}
