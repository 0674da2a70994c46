import { useEffect, useState } from 'react';
import { cn } from '../../lib/cn';

async function copyText(text: string): Promise<void> {
  if (window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Plain-HTTP origins (a LAN install) have no Clipboard API: the old way still works.
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  // execCommand is deprecated but is the only copy there is outside a secure context.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('Copy failed');
}

/** Copies `value`; says "Copied" (visibly and to screen readers) for two seconds. */
export function CopyButton({ value, label, className }: { value: string; label: string; className?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return undefined;
    const timer = setTimeout(() => setState('idle'), 2000);
    return () => clearTimeout(timer);
  }, [state]);

  return (
    <button
      type="button"
      onClick={() => {
        copyText(value).then(
          () => setState('copied'),
          () => setState('failed'),
        );
      }}
      className={cn(
        'inline-flex h-7 shrink-0 items-center gap-1 rounded-md border border-line bg-surface-2 px-2 text-xs text-fg hover:border-muted',
        className,
      )}
      aria-label={`Copy ${label}`}
      title={`Copy ${label}`}
    >
      <svg aria-hidden="true" viewBox="0 0 16 16" className="size-3.5 fill-current">
        {state === 'copied' ? (
          <path d="M13.78 4.22a.75.75 0 0 1 0 1.06l-7.25 7.25a.75.75 0 0 1-1.06 0L2.22 9.28a.75.75 0 0 1 1.06-1.06L6 10.94l6.72-6.72a.75.75 0 0 1 1.06 0Z" />
        ) : (
          <path d="M0 6.75C0 5.78.78 5 1.75 5h1.5a.75.75 0 0 1 0 1.5h-1.5a.25.25 0 0 0-.25.25v7.5c0 .14.11.25.25.25h7.5a.25.25 0 0 0 .25-.25v-1.5a.75.75 0 0 1 1.5 0v1.5A1.75 1.75 0 0 1 9.25 16h-7.5A1.75 1.75 0 0 1 0 14.25Zm5-5C5 .78 5.78 0 6.75 0h7.5C15.22 0 16 .78 16 1.75v7.5A1.75 1.75 0 0 1 14.25 11h-7.5A1.75 1.75 0 0 1 5 9.25Zm1.75-.25a.25.25 0 0 0-.25.25v7.5c0 .14.11.25.25.25h7.5a.25.25 0 0 0 .25-.25v-7.5a.25.25 0 0 0-.25-.25Z" />
        )}
      </svg>
      <span aria-live="polite">{state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : 'Copy'}</span>
    </button>
  );
}

/** A value in monospace with its copy button, wrapping on narrow screens. */
export function CopyField({ value, label, href }: { value: string; label: string; href?: string }) {
  return (
    <div className="flex min-w-0 items-center gap-2 rounded-md border border-line bg-bg px-3 py-1.5">
      {href ? (
        <a href={href} target="_blank" rel="noreferrer" className="min-w-0 flex-1 truncate font-mono text-sm">
          {value}
        </a>
      ) : (
        <code className="min-w-0 flex-1 truncate font-mono text-sm text-fg">{value}</code>
      )}
      <CopyButton value={value} label={label} />
    </div>
  );
}
