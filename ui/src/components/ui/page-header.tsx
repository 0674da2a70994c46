import type { ReactNode } from 'react';

/** A page's title row with its breadcrumbs and actions; wraps on phones. */
export function PageHeader({
  title,
  subtitle,
  crumbs,
  actions,
  badge,
}: {
  title: string;
  subtitle?: ReactNode;
  crumbs?: ReactNode;
  actions?: ReactNode;
  badge?: ReactNode;
}) {
  return (
    <header className="mb-6 space-y-2">
      {crumbs ? <nav aria-label="Breadcrumb" className="text-sm text-muted">{crumbs}</nav> : null}
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0 space-y-1">
          <div className="flex flex-wrap items-center gap-3">
            <h1 tabIndex={-1} className="truncate text-2xl font-semibold text-fg focus:outline-none">
              {title}
            </h1>
            {badge}
          </div>
          {subtitle ? <div className="text-sm text-muted">{subtitle}</div> : null}
        </div>
        {actions ? <div className="flex flex-wrap gap-2">{actions}</div> : null}
      </div>
    </header>
  );
}
