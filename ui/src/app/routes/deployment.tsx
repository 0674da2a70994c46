import { useParams } from 'react-router';
import { PageHeader } from '../../components/ui';
import { DeploymentDetail } from '../../features/deployments/components/deployment-detail';
import { useProject } from '../../features/projects/api/projects';
import { useService } from '../../features/services/api/services';
import { paths } from '../paths';
import { Crumbs } from './crumbs';

export function DeploymentRoute() {
  const { serviceId = '', deploymentId = '' } = useParams();
  const service = useService(serviceId);
  const project = useProject(service.data?.projectId ?? '');
  return (
    <>
      <PageHeader
        title="Deployment"
        crumbs={
          <Crumbs
            items={[
              { label: 'Projects', to: paths.home },
              ...(service.data
                ? [
                    { label: project.data?.name ?? 'Project', to: paths.project(service.data.projectId) },
                    { label: service.data.name, to: paths.service(serviceId) },
                  ]
                : []),
              { label: 'Deployment' },
            ]}
          />
        }
      />
      <DeploymentDetail deploymentId={deploymentId} {...(service.data ? { repoUrl: service.data.repoUrl } : {})} />
    </>
  );
}
