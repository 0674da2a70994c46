import { useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { Button, CopyButton } from '../../../components/ui';
import { isNearBottom } from '../../../lib/log-text';

/**
 * A build log that follows new lines while the user is at the end, and stops
 * following as soon as they scroll up (a "Jump to latest" button brings it back).
 */
export function LogViewer({ text, label, status, placeholder }: { text: string; label: string; status?: ReactNode; placeholder: string }) {
  const ref = useRef<HTMLPreElement>(null);
  const [following, setFollowing] = useState(true);

  useLayoutEffect(() => {
    const el = ref.current;
    if (el && following) el.scrollTop = el.scrollHeight;
  }, [text, following]);

  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div className="text-sm text-muted">{status}</div>
        <div className="flex gap-2">
          {!following ? (
            <Button size="sm" onClick={() => setFollowing(true)}>
              Jump to latest
            </Button>
          ) : null}
          {text ? <CopyButton value={text} label="build log" className="h-8" /> : null}
        </div>
      </div>
      <pre
        ref={ref}
        tabIndex={0}
        role="log"
        aria-label={label}
        aria-live="off"
        onScroll={(event) => setFollowing(isNearBottom(event.currentTarget))}
        className="h-[28rem] max-h-[70vh] overflow-auto rounded-md border border-line bg-[#010409] p-3 font-mono text-xs leading-5 whitespace-pre-wrap break-words text-[#d1d7e0]"
      >
        {text || <span className="text-muted">{placeholder}</span>}
      </pre>
    </div>
  );
}
