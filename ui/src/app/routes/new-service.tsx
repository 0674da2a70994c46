import { useNavigate, useParams } from 'react-router';
import { LoadingBlock, PageHeader, Section } from '../../components/ui';
import { useUser } from '../../features/auth/api/auth';
import { useProject } from '../../features/projects/api/projects';
import { emptyServiceForm, validateCreate } from '../../features/services/api/service-form-model';
import { useCreateService } from '../../features/services/api/services';
import { ServiceForm } from '../../features/services/components/service-form';
import { paths } from '../paths';
import { Crumbs } from './crumbs';
import { LoadError } from './not-found';

export function NewServiceRoute() {
  const { projectId = '' } = useParams();
  const user = useUser();
  const project = useProject(projectId);
  const create = useCreateService(projectId);
  const navigate = useNavigate();

  if (project.isPending) return <LoadingBlock label="Loading project…" />;
  if (project.error) return <LoadError error={project.error} what="Project" />;

  return (
    <>
      <PageHeader
        title="Add service"
        crumbs={
          <Crumbs
            items={[
              { label: 'Projects', to: paths.home },
              { label: project.data.name, to: paths.project(projectId) },
              { label: 'Add service' },
            ]}
          />
        }
        subtitle="One GitHub repository with a Dockerfile, built on every push to its branch (or only those that change its watch paths)."
      />
      <Section title="Service">
        <ServiceForm
          mode="create"
          initial={emptyServiceForm}
          userHash={user.hash}
          projectName={project.data.name}
          validate={validateCreate}
          onValid={(input) => create.mutate(input, { onSuccess: (service) => void navigate(paths.service(service.id)) })}
          pending={create.isPending}
          serverError={create.error}
          submitLabel="Create service"
          onCancel={() => void navigate(paths.project(projectId))}
          picker={{ isAdmin: user.role === 'admin', connectHref: paths.system, takenNames: project.data.services.map((s) => s.name) }}
        />
      </Section>
    </>
  );
}
