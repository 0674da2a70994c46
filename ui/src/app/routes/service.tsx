import { Link, useNavigate, useParams } from 'react-router';
import { Alert, Button, LoadingBlock, PageHeader, StatusBadge } from '../../components/ui';
import { useDeployments } from '../../features/deployments/api/deployments';
import { useProject } from '../../features/projects/api/projects';
import { useDeployService, useService } from '../../features/services/api/services';
import { DeleteServiceButton } from '../../features/services/components/delete-service-button';
import { RestartServiceButton } from '../../features/services/components/restart-service-button';
import { ServiceProblem } from '../../features/services/components/service-problem';
import { ActionReasons, reasonId } from '../../features/services/components/action-reasons';
import { errorMessage } from '../../lib/api-error';
import { shortSha } from '../../lib/format';
import { isInProgress, statusLook } from '../../lib/status';
import { paths } from '../paths';
import { Crumbs } from './crumbs';
import { LoadError } from './not-found';
import { ServiceTabs } from './service-tabs';

export function ServiceRoute() {
  const { serviceId = '', tab } = useParams();
  const service = useService(serviceId);
  const project = useProject(service.data?.projectId ?? '');
  const deploy = useDeployService(serviceId);
  const deployments = useDeployments(serviceId);
  const running = [...(deployments.data ?? [])]
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .find((d) => isInProgress(d.status));
  const navigate = useNavigate();

  if (service.isPending) return <LoadingBlock label="Loading service…" />;
  if (service.error) return <LoadError error={service.error} what="Service" />;
  const s = service.data;

  return (
    <>
      <PageHeader
        title={s.name}
        badge={<StatusBadge status={s.status} />}
        crumbs={
          <Crumbs
            items={[
              { label: 'Projects', to: paths.home },
              { label: project.data?.name ?? 'Project', to: paths.project(s.projectId) },
              { label: s.name },
            ]}
          />
        }
        actions={
          <>
            <Button
              variant="primary"
              disabled={!s.can.deploy.ok}
              title={s.can.deploy.reason ?? undefined}
              aria-describedby={s.can.deploy.ok ? undefined : reasonId(s, 'deploy')}
              loading={deploy.isPending}
              onClick={() =>
                deploy.mutate(undefined, {
                  onSuccess: (deployment) => void navigate(paths.deployment(s.id, deployment.id)),
                })
              }
            >
              Deploy now
            </Button>
            <RestartServiceButton service={s} />
            {/* A role that may not change the service is not offered its deletion (the Settings tab says why). */}
            {s.can.configure && !s.can.configure.ok ? null : (
              <DeleteServiceButton service={s} onDeleted={() => void navigate(paths.project(s.projectId))} />
            )}
          </>
        }
      />
      <div className="space-y-6">
        {s.syncError ? (
          <Alert tone="error" title="This project's changes are not reaching the cluster">
            {s.syncError.message} They are retried (attempt {String(s.syncError.attempts)}), and at once after your next change.
          </Alert>
        ) : null}
        {s.can.deploy.reason?.startsWith('The GitHub App is not installed') ? (
          <Alert tone="error" title="The GitHub App cannot read this repository">
            {s.can.deploy.reason} Pushes and “Deploy now” build nothing until then.
          </Alert>
        ) : null}
        <ActionReasons service={s} />
        <ServiceProblem serviceId={s.id} running={s.status !== null && s.can.observe.ok} />
        {running && running.status === 'pending' && !s.can.observe.ok ? (
          <Alert tone="info" title={`${shortSha(running.commitSha)} is waiting for a cluster`}>
            It is recorded, and builds once a cluster is connected.
          </Alert>
        ) : running ? (
          <Alert
            tone="warning"
            title={`${statusLook(running.status).label} ${shortSha(running.commitSha)}…`}
            action={<Link to={paths.deployment(s.id, running.id)}>Watch the build log</Link>}
          >
            This page updates by itself when it is live or fails.
          </Alert>
        ) : null}
        {deploy.error ? <Alert tone="error" title="Could not start a deployment">{errorMessage(deploy.error)}</Alert> : null}
        <ServiceTabs service={s} tab={tab} />
      </div>
    </>
  );
}
