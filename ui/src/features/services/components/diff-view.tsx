import { cn } from '../../../lib/cn';

function lineClass(line: string): string {
  if (line.startsWith('+++') || line.startsWith('---') || line.startsWith('diff ') || line.startsWith('index ')) {
    return 'text-fg font-semibold';
  }
  if (line.startsWith('@@')) return 'text-accent';
  if (line.startsWith('+')) return 'bg-ok-bg text-ok';
  if (line.startsWith('-')) return 'bg-bad-bg text-bad';
  return 'text-muted';
}

/** A unified diff, coloured by line (added lines also keep their "+", so colour is not the only sign). */
export function DiffView({ diff }: { diff: string }) {
  const lines = diff.replace(/\n$/, '').split('\n');
  return (
    <pre className="max-h-96 overflow-auto rounded-md border border-line bg-bg py-2 font-mono text-xs leading-5">
      {lines.map((line, i) => (
        <div key={i} className={cn('px-3 whitespace-pre', lineClass(line))}>
          {line || ' '}
        </div>
      ))}
    </pre>
  );
}
