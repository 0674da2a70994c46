import { Fragment } from 'react';
import { Link } from 'react-router';
import { useProject } from '../../features/projects/api/projects';
import { useService } from '../../features/services/api/services';
import { paths } from '../paths';

/** "Projects / shop / web": where this page sits; the last crumb is the page itself. */
export function Crumbs({ items }: { items: Array<{ label: string; to?: string }> }) {
  return (
    <ol className="flex flex-wrap items-center gap-1.5">
      {items.map((item, i) => (
        <Fragment key={`${item.label}-${i}`}>
          {i > 0 ? (
            <li aria-hidden="true" className="text-muted">
              /
            </li>
          ) : null}
          <li>
            {item.to ? (
              <Link to={item.to} className="text-muted hover:text-fg">
                {item.label}
              </Link>
            ) : (
              <span aria-current="page" className="text-fg">
                {item.label}
              </span>
            )}
          </li>
        </Fragment>
      ))}
    </ol>
  );
}

/** "Projects / shop / web / {page}": the crumbs of a page under a service (a deployment, a preview). */
export function ServicePageCrumbs({ serviceId, page }: { serviceId: string; page: string }) {
  const service = useService(serviceId);
  const project = useProject(service.data?.projectId ?? '');
  return (
    <Crumbs
      items={[
        { label: 'Projects', to: paths.home },
        ...(service.data
          ? [
              { label: project.data?.name ?? 'Project', to: paths.project(service.data.projectId) },
              { label: service.data.name, to: paths.service(serviceId) },
            ]
          : []),
        { label: page },
      ]}
    />
  );
}
