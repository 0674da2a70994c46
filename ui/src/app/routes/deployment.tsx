import { useParams } from 'react-router';
import { PageHeader } from '../../components/ui';
import { DeploymentDetail } from '../../features/deployments/components/deployment-detail';
import { useService } from '../../features/services/api/services';
import { ServicePageCrumbs } from './crumbs';

export function DeploymentRoute() {
  const { serviceId = '', deploymentId = '' } = useParams();
  const service = useService(serviceId);
  return (
    <>
      <PageHeader
        title="Deployment"
        crumbs={<ServicePageCrumbs serviceId={serviceId} page="Deployment" />}
      />
      <DeploymentDetail deploymentId={deploymentId} {...(service.data ? { repoUrl: service.data.repoUrl } : {})} />
    </>
  );
}
