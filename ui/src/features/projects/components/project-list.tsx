import { Link } from 'react-router';
import { Badge } from '../../../components/ui';
import { formatAbsolute, formatRelative } from '../../../lib/format';
import { summarizeCounts } from '../../../lib/status';
import type { ProjectListItem } from '../api/projects';

function ProjectSummary({ project }: { project: ProjectListItem }) {
  const parts = project.statusCounts ? summarizeCounts(project.statusCounts) : [];
  const services = `${project.serviceCount} service${project.serviceCount === 1 ? '' : 's'}`;
  return (
    <div className="flex flex-wrap items-center gap-2 text-sm text-muted">
      <span>{services}</span>
      {parts.map((part) => (
        <Badge key={part.label} tone={part.tone}>
          {part.label}
        </Badge>
      ))}
    </div>
  );
}

/** The dashboard's grid of projects; each card links to its project. */
export function ProjectList({ projects, projectPath }: { projects: ProjectListItem[]; projectPath: (id: string) => string }) {
  const sorted = [...projects].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <ul className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-3" aria-label="Projects">
      {sorted.map((project) => (
        <li key={project.id}>
          <Link
            to={projectPath(project.id)}
            className="block h-full space-y-3 rounded-lg border border-line bg-surface p-4 text-fg no-underline transition-colors hover:border-muted"
          >
            <div className="min-w-0">
              <h2 className="truncate text-base font-semibold">{project.name}</h2>
              <p className="truncate font-mono text-xs text-muted">{project.namespace}</p>
            </div>
            <ProjectSummary project={project} />
            <p className="text-xs text-muted">
              Created <time dateTime={project.createdAt} title={formatAbsolute(project.createdAt)}>{formatRelative(project.createdAt)}</time>
            </p>
          </Link>
        </li>
      ))}
    </ul>
  );
}
