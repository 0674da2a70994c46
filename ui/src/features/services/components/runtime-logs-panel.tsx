import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Button, Input, Section } from '../../../components/ui';
import { isNearBottom } from '../../../lib/log-text';
import { useSse } from '../../../lib/sse/use-sse';

interface Line {
  pod: string;
  container: string;
  timestamp: string;
  line: string;
}

/** Lines kept in the page: the newest this many. */
const KEPT = 5_000;

function parseLine(data: string): Line | null {
  try {
    const value = JSON.parse(data) as Partial<Line>;
    return typeof value.pod === 'string' && typeof value.line === 'string' && typeof value.timestamp === 'string'
      ? { pod: value.pod, container: value.container ?? 'app', timestamp: value.timestamp, line: value.line }
      : null;
  } catch {
    return null;
  }
}

/**
 * The running service's logs, live: every pod's lines as they come (a pod started later
 * joins), filtered by pod, searched within what is loaded, paused and resumed, and
 * downloaded. It follows new lines while the reader is at the end and stops as soon as
 * they scroll up.
 */
export function RuntimeLogsPanel({ serviceId, serviceName }: { serviceId: string; serviceName: string }) {
  const [lines, setLines] = useState<Line[]>([]);
  const held = useRef<Line[]>([]);
  const seen = useRef(new Set<string>());
  const [paused, setPaused] = useState(false);
  const [heldCount, setHeldCount] = useState(0);
  const [pod, setPod] = useState('');
  const [query, setQuery] = useState('');
  const [following, setFollowing] = useState(true);
  const ref = useRef<HTMLPreElement>(null);

  const status = useSse(`/api/services/${encodeURIComponent(serviceId)}/logs/stream?tail=200`, (event) => {
    if (event.type !== 'log') return;
    const line = parseLine(event.data);
    if (!line) return;
    // A reconnect sends the tail again: each line once.
    const key = `${line.pod}\u0000${line.timestamp}\u0000${line.line}`;
    if (seen.current.has(key)) return;
    seen.current.add(key);
    if (paused) {
      held.current.push(line);
      setHeldCount(held.current.length);
    } else setLines((old) => [...old, line].slice(-KEPT));
  });

  const pods = useMemo(() => [...new Set(lines.map((l) => l.pod))].sort(), [lines]);
  const shown = useMemo(() => {
    const needle = query.trim().toLowerCase();
    return lines.filter((l) => (pod === '' || l.pod === pod) && (needle === '' || l.line.toLowerCase().includes(needle)));
  }, [lines, pod, query]);

  useLayoutEffect(() => {
    const el = ref.current;
    if (el && following) el.scrollTop = el.scrollHeight;
  }, [shown, following]);

  const text = (list: Line[]) => list.map((l) => `${l.timestamp} ${l.pod} ${l.line}`).join('\n');
  const download = () => {
    const url = URL.createObjectURL(new Blob([`${text(shown)}\n`], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${serviceName}-logs.txt`;
    a.click();
    URL.revokeObjectURL(url);
  };

  return (
    <Section id="logs" title="Logs" description="What the service's pods print, as they print it. Env values are masked.">
      <div className="flex flex-wrap items-end gap-2">
        <label className="text-sm text-muted">
          Pod{' '}
          <select aria-label="Pod" className="ml-1 rounded-md border border-line bg-bg px-2 py-1 text-fg" value={pod} onChange={(e) => setPod(e.target.value)}>
            <option value="">All pods ({pods.length})</option>
            {pods.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <Input aria-label="Search the loaded lines" placeholder="Search" value={query} onChange={(e) => setQuery(e.target.value)} className="w-48" />
        <Button
          size="sm"
          onClick={() => {
            if (paused) {
              const resumed = held.current;
              held.current = [];
              setHeldCount(0);
              setLines((old) => [...old, ...resumed].slice(-KEPT));
            }
            setPaused(!paused);
          }}
        >
          {paused ? 'Resume' : 'Pause'}
        </Button>
        {!following ? (
          <Button size="sm" onClick={() => setFollowing(true)}>
            Jump to latest
          </Button>
        ) : null}
        <Button size="sm" onClick={download} disabled={shown.length === 0}>
          Download
        </Button>
        <span className="text-xs text-muted" role="status">
          {paused ? `Paused: ${String(heldCount)} new lines held` : status === 'open' ? 'Live' : 'Connecting…'}
        </span>
      </div>
      <pre
        ref={ref}
        tabIndex={0}
        role="log"
        aria-label={`Logs of ${serviceName}`}
        aria-live="off"
        onScroll={(event) => setFollowing(isNearBottom(event.currentTarget))}
        className="mt-3 h-[24rem] max-h-[60vh] overflow-auto rounded-md border border-line bg-[#010409] p-3 font-mono text-xs leading-5 whitespace-pre-wrap break-words text-[#d1d7e0]"
      >
        {shown.length > 0
          ? shown.map((l, i) => (
              <div key={`${l.pod}-${l.timestamp}-${String(i)}`}>
                <span className="text-[#7d8590]">{l.timestamp.slice(11, 19)} </span>
                {pods.length > 1 ? <span className="text-[#79c0ff]">{l.pod.slice(-5)} </span> : null}
                {l.line}
              </div>
            ))
          : <span className="text-muted">{lines.length === 0 ? 'No lines yet.' : 'No line matches.'}</span>}
      </pre>
    </Section>
  );
}
