import type { ReactNode } from 'react';
import type { DeploymentStatus } from '@dangus/common';
import { cn } from '../../lib/cn';
import { statusLook, type StatusTone } from '../../lib/status';

const tones: Record<StatusTone, string> = {
  ok: 'bg-ok-bg text-ok border-ok/40',
  warn: 'bg-warn-bg text-warn border-warn/40',
  bad: 'bg-bad-bg text-bad border-bad/40',
  idle: 'bg-idle-bg text-idle border-line',
};

const dots: Record<StatusTone, string> = {
  ok: 'bg-ok',
  warn: 'bg-warn',
  bad: 'bg-bad',
  idle: 'bg-idle',
};

export function Badge({
  tone = 'idle',
  pulse = false,
  children,
  className,
}: {
  tone?: StatusTone;
  pulse?: boolean;
  children: ReactNode;
  className?: string;
}) {
  return (
    <span
      className={cn(
        'inline-flex items-center gap-1.5 rounded-full border px-2 py-0.5 text-xs font-medium whitespace-nowrap',
        tones[tone],
        className,
      )}
    >
      <span aria-hidden="true" className={cn('size-2 rounded-full', dots[tone], pulse && 'animate-pulse')} />
      {children}
    </span>
  );
}

/** A deployment status as colour AND word (green live, yellow building, red failed, grey pending). */
export function StatusBadge({ status, className }: { status: DeploymentStatus | null | undefined; className?: string }) {
  const look = statusLook(status);
  return (
    <Badge tone={look.tone} pulse={look.inProgress} className={className}>
      <span className="sr-only">Status: </span>
      {look.label}
    </Badge>
  );
}
