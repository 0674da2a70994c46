import { Decoration, Diff, Hunk, parseDiff } from 'react-diff-view';
import 'react-diff-view/style/index.css';

/**
 * A unified diff (git's), file by file, rendered by react-diff-view: line numbers on both
 * sides, added and removed lines marked by sign as well as by colour.
 */
export function DiffView({ diff }: { diff: string }) {
  const files = parseDiff(diff);
  if (files.length === 0) return <p className="text-sm text-muted">No changes in this service’s files.</p>;
  return (
    <div className="space-y-3">
      {files.map((file) => {
        const path = file.type === 'delete' ? file.oldPath : file.newPath;
        return (
          <figure key={`${file.oldRevision}-${file.newRevision}-${path}`} className="overflow-hidden rounded-md border border-line">
            <figcaption className="border-b border-line bg-surface-2 px-3 py-1.5 font-mono text-xs text-fg">
              {path}
              {file.type === 'add' ? ' (new)' : file.type === 'delete' ? ' (deleted)' : ''}
            </figcaption>
            <div className="dangus-diff max-h-[32rem] overflow-auto text-xs">
              <Diff viewType="unified" diffType={file.type} hunks={file.hunks}>
                {(hunks) =>
                  hunks.flatMap((hunk) => [
                    <Decoration key={`decoration-${hunk.content}`}>
                      <span className="px-2 font-mono text-accent">{hunk.content}</span>
                    </Decoration>,
                    <Hunk key={`hunk-${hunk.content}`} hunk={hunk} />,
                  ])
                }
              </Diff>
            </div>
          </figure>
        );
      })}
    </div>
  );
}
