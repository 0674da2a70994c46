import type { ServiceSummaryDto } from '@dangus/common';
import { Link } from 'react-router';
import { StatusBadge } from '../../../components/ui';
import { formatAbsolute, formatRelative, shortSha } from '../../../lib/format';

/** A project's services: status, public URL and last deployment of each. */
export function ServiceList({
  services,
  servicePath,
}: {
  services: ServiceSummaryDto[];
  servicePath: (id: string) => string;
}) {
  const sorted = [...services].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <ul className="divide-y divide-line overflow-hidden rounded-md border border-line" aria-label="Services">
      {sorted.map((service) => (
        <li key={service.id} className="flex flex-wrap items-center gap-x-4 gap-y-2 bg-bg px-4 py-3">
          <div className="min-w-0 flex-1 basis-48">
            <Link to={servicePath(service.id)} className="font-medium text-fg hover:text-accent">
              {service.name}
            </Link>
            <div className="truncate text-sm">
              <a href={service.publicUrl} target="_blank" rel="noreferrer" className="break-all">
                {service.publicUrl.replace(/^https?:\/\//, '')}
              </a>
            </div>
          </div>
          <div className="text-sm text-muted">
            {service.lastDeployment ? (
              <>
                <code className="font-mono text-fg">{shortSha(service.lastDeployment.commitSha)}</code>{' '}
                <time
                  dateTime={service.lastDeployment.createdAt}
                  title={formatAbsolute(service.lastDeployment.createdAt)}
                >
                  {formatRelative(service.lastDeployment.createdAt)}
                </time>
              </>
            ) : (
              'No deployment yet'
            )}
          </div>
          <StatusBadge status={service.status} />
        </li>
      ))}
    </ul>
  );
}
