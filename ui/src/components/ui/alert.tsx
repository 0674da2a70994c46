import type { ReactNode } from 'react';
import { cn } from '../../lib/cn';

type Tone = 'error' | 'info' | 'warning';

const tones: Record<Tone, string> = {
  error: 'border-bad/50 bg-bad-bg text-fg',
  warning: 'border-warn/50 bg-warn-bg text-fg',
  info: 'border-line bg-surface-2 text-fg',
};

/** A message box; errors are announced to screen readers as they appear. */
export function Alert({
  tone = 'info',
  title,
  children,
  action,
  className,
}: {
  tone?: Tone;
  title?: string;
  children?: ReactNode;
  action?: ReactNode;
  className?: string;
}) {
  return (
    <div
      role={tone === 'error' ? 'alert' : 'status'}
      className={cn('flex flex-wrap items-start gap-3 rounded-md border px-4 py-3 text-sm', tones[tone], className)}
    >
      <div className="min-w-0 flex-1 space-y-1">
        {title ? <p className="font-semibold">{title}</p> : null}
        {children ? <div className="text-muted">{children}</div> : null}
      </div>
      {action}
    </div>
  );
}
