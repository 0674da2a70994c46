import { roleAllows } from '@dangus/common';
import { useNavigate, useParams } from 'react-router';
import { ButtonLink, CopyButton, EmptyState, LoadingBlock, PageHeader, Section } from '../../components/ui';
import { useProject } from '../../features/projects/api/projects';
import { DeleteProjectButton } from '../../features/projects/components/delete-project-button';
import { MoveProjectButton } from '../../features/projects/components/move-project-button';
import { DiscoveryPanel } from '../../features/projects/components/discovery-panel';
import { ServiceList } from '../../features/projects/components/service-list';
import { UsagePanel } from '../../features/projects/components/usage-panel';
import { ProjectMembersPanel } from '../../features/projects/components/project-members';
import { useUser } from '../../features/auth/api/auth';
import { paths } from '../paths';
import { Crumbs } from './crumbs';
import { LoadError } from './not-found';

export function ProjectRoute() {
  const { projectId = '' } = useParams();
  const project = useProject(projectId);
  const navigate = useNavigate();
  const me = useUser();

  if (project.isPending) return <LoadingBlock label="Loading project…" />;
  if (project.error) return <LoadError error={project.error} what="Project" />;
  const p = project.data;
  // A team project: what your role may not do is not offered, and the page says why.
  const role = p.role;

  return (
    <>
      <PageHeader
        title={p.name}
        crumbs={<Crumbs items={[{ label: 'Projects', to: paths.home }, { label: p.name }]} />}
        subtitle={
          <span className="inline-flex items-center gap-2">
            Namespace <code className="font-mono text-fg">{p.namespace}</code>
            <CopyButton value={p.namespace} label="namespace" />
          </span>
        }
        actions={
          <>
            {role && !roleAllows(role, 'configure') ? null : (
              <ButtonLink to={paths.newService(p.id)} variant="primary">
                Add service
              </ButtonLink>
            )}
            {role && !roleAllows(role, 'own') ? null : <MoveProjectButton project={p} />}
            {role && !roleAllows(role, 'own') ? null : <DeleteProjectButton project={p} onDeleted={() => void navigate(paths.home)} />}
          </>
        }
      />
      {role && role !== 'owner' ? (
        <p className="mb-4 text-sm text-muted" data-testid="project-role">
          Your role on this project is {role}
          {roleAllows(role, 'configure') ? ': deleting it is for its owners.' : ': adding, changing and deleting services needs maintainer or above.'}
        </p>
      ) : null}
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
        <Section id="services" title="Services">
          {p.services.length === 0 ? (
            <EmptyState
              title="Add your first service"
              action={
                <ButtonLink to={paths.newService(p.id)} variant="primary">
                  Add service
                </ButtonLink>
              }
            >
              A service is one GitHub repository with a Dockerfile. Every push to its branch is built and
              rolled out at its own address.
            </EmptyState>
          ) : (
            <ServiceList services={p.services} servicePath={paths.service} />
          )}
        </Section>
        <DiscoveryPanel services={p.services} namespace={p.namespace} />
      </div>
      <div className="mt-6">
        <UsagePanel projectId={p.id} />
      </div>
      <div className="mt-6">
        <ProjectMembersPanel projectId={p.id} role={role ?? 'owner'} me={me.githubUsername} />
      </div>
    </>
  );
}
