import { useState } from 'react';
import { useNavigate } from 'react-router';
import { Alert, Button, EmptyState, LoadingBlock, PageHeader, Section } from '../../components/ui';
import { useUser } from '../../features/auth/api/auth';
import { useProjects } from '../../features/projects/api/projects';
import { NewProjectForm } from '../../features/projects/components/new-project-form';
import { ProjectList } from '../../features/projects/components/project-list';
import { errorMessage } from '../../lib/api-error';
import { paths } from '../paths';

export function DashboardRoute() {
  const user = useUser();
  const projects = useProjects();
  const navigate = useNavigate();
  const [creating, setCreating] = useState(false);

  const newForm = (
    <Section id="new-project" title="New project" description="A project is a Kubernetes namespace for a group of services.">
      <NewProjectForm
        userHash={user.hash}
        onCreated={(project) => void navigate(paths.project(project.id))}
        onCancel={() => setCreating(false)}
      />
    </Section>
  );

  return (
    <>
      <PageHeader
        title="Projects"
        subtitle={`Signed in as ${user.githubUsername} · user hash ${user.hash}`}
        actions={
          creating ? null : (
            <Button variant="primary" onClick={() => setCreating(true)}>
              New project
            </Button>
          )
        }
      />
      <div className="space-y-6">
        {creating ? newForm : null}
        {projects.isPending ? <LoadingBlock label="Loading projects…" /> : null}
        {projects.error ? (
          <Alert tone="error" title="Could not load projects" action={<Button onClick={() => void projects.refetch()}>Try again</Button>}>
            {errorMessage(projects.error)}
          </Alert>
        ) : null}
        {projects.data && projects.data.length === 0 && !creating ? (
          <EmptyState
            title="Create your first project"
            action={
              <Button variant="primary" onClick={() => setCreating(true)}>
                New project
              </Button>
            }
          >
            A project groups the services of one app (say, a web front end, an api and a worker) in its own
            namespace. Then add a service: a GitHub repository with a Dockerfile.
          </EmptyState>
        ) : null}
        {projects.data && projects.data.length > 0 ? (
          <ProjectList projects={projects.data} projectPath={paths.project} />
        ) : null}
      </div>
    </>
  );
}
