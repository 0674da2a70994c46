import type { ServiceDto } from '@dangus/common';
import { lazy, Suspense, type ReactNode } from 'react';
import { Link, Navigate } from 'react-router';
import { Alert, CopyField, EmptyState, LoadingBlock, Section, StatusBadge, Tabs } from '../../components/ui';
import { ReadOnly, refusedForRole } from '../../features/teams/components/read-only';
import { useDeployments } from '../../features/deployments/api/deployments';
import { DeploymentList } from '../../features/deployments/components/deployment-list';
import { NeedsCluster } from '../../features/cluster/needs-cluster';
import { ActivityPanel } from '../../features/services/components/activity-panel';
import { PreviewsPanel } from '../../features/services/components/previews-panel';
import { ConfigPanel } from '../../features/services/components/config-panel';
import { DomainsPanel } from '../../features/services/components/domains-panel';
import { EnvVarsPanel } from '../../features/services/components/env-vars-panel';
import { ObjectStoragePanel } from '../../features/services/components/object-storage-panel';
import { RuntimeLogsPanel } from '../../features/services/components/runtime-logs-panel';
import { WebhookPanel } from '../../features/services/components/webhook-panel';
import { RepositoryAccessPanel } from '../../features/services/components/repository-access-panel';
import { formatAbsolute, formatRelative, shortSha } from '../../lib/format';
import { paths } from '../paths';

// The charts (uPlot) and the diffs (react-diff-view) load when their tab opens.
const MetricsPanel = lazy(async () => ({ default: (await import('../../features/services/components/metrics-panel')).MetricsPanel }));
const InfraHistoryPanel = lazy(async () => ({
  default: (await import('../../features/services/components/infra-history-panel')).InfraHistoryPanel,
}));

export const SERVICE_TABS = [
  ['overview', 'Overview'],
  ['deployments', 'Deployments'],
  ['logs', 'Logs'],
  ['metrics', 'Metrics'],
  ['environment', 'Environment'],
  ['settings', 'Settings'],
  ['history', 'History'],
] as const;

export type ServiceTab = (typeof SERVICE_TABS)[number][0];

function isTab(tab: string): tab is ServiceTab {
  return SERVICE_TABS.some(([id]) => id === tab);
}

function NotDeployedYet({ what }: { what: string }) {
  return (
    <EmptyState title={`No ${what} yet`}>
      {`The ${what} of this service appear here once it runs: push to its branch, or press “Deploy now”.`}
    </EmptyState>
  );
}

function Overview({ service }: { service: ServiceDto }) {
  const deployments = useDeployments(service.id);
  const latest = [...(deployments.data ?? [])].sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  return (
    <Section id="overview" title="Overview">
      <div className="space-y-4">
        <div className="grid grid-cols-1 gap-4 md:grid-cols-2">
          <div className="space-y-1.5">
            <p className="text-sm font-medium">Public URL</p>
            <CopyField value={service.publicUrl} label="public URL" href={service.publicUrl} />
          </div>
          <div className="space-y-1.5">
            <p className="text-sm font-medium">Internal address</p>
            <CopyField value={service.internalAddress} label="internal address" />
          </div>
        </div>
        <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-6 gap-y-2 text-sm">
          <dt className="text-muted">Status</dt>
          <dd>
            <StatusBadge status={service.status} />
          </dd>
          <dt className="text-muted">Latest deployment</dt>
          <dd className="min-w-0">
            {latest ? (
              <Link to={paths.deployment(service.id, latest.id)}>
                <code className="font-mono">{shortSha(latest.commitSha)}</code>{' '}
                {latest.commitMessage?.split('\n')[0] ?? ''} ·{' '}
                <time dateTime={latest.createdAt} title={formatAbsolute(latest.createdAt)}>
                  {formatRelative(latest.createdAt)}
                </time>
              </Link>
            ) : (
              <span className="text-muted">
                None yet: add the webhook to the repository (<Link to={paths.serviceTab(service.id, 'deployments')}>Deployments</Link>), then
                push, or press “Deploy now”.
              </span>
            )}
          </dd>
          <dt className="text-muted">Source</dt>
          <dd className="min-w-0 break-all">
            <a href={service.repoUrl} target="_blank" rel="noreferrer">
              {service.repoUrl}
            </a>{' '}
            <span className="text-muted">
              at <code className="font-mono">{service.branch}</code>
            </span>
          </dd>
        </dl>
      </div>
    </Section>
  );
}

function TabContent({ service, tab }: { service: ServiceDto; tab: ServiceTab }) {
  const deploymentPath = (id: string) => paths.deployment(service.id, id);
  const running = service.status !== null;
  switch (tab) {
    case 'overview':
      return <Overview service={service} />;
    case 'deployments':
      return (
        <>
          <Section id="deployments" title="Deployments" description="Status changes appear here as they happen.">
            <DeploymentList serviceId={service.id} repoUrl={service.repoUrl} deploymentPath={deploymentPath} />
          </Section>
          <ReadOnly ability={service.can.configure}>
            <WebhookPanel service={service} />
          </ReadOnly>
          <PreviewsPanel service={service} />
        </>
      );
    case 'logs':
      if (refusedForRole(service.can.observe)) {
        return (
          <Section id="logs" title="Logs">
            <Alert tone="info" title="Not for your role">
              {service.can.observe.reason}
            </Alert>
          </Section>
        );
      }
      if (!service.can.observe.ok) {
        return (
          <Section id="logs" title="Logs">
            <NeedsCluster what="Logs and events" />
          </Section>
        );
      }
      return running ? <RuntimeLogsPanel serviceId={service.id} serviceName={service.name} /> : <NotDeployedYet what="logs" />;
    case 'metrics':
      if (!service.can.observe.ok) {
        return (
          <Section id="metrics" title="Metrics">
            <NeedsCluster what="CPU and memory figures" />
          </Section>
        );
      }
      return running ? <MetricsPanel serviceId={service.id} /> : <NotDeployedYet what="metrics" />;
    case 'environment':
      return (
        <div className="space-y-6">
          <ReadOnly ability={service.can.configure}>
            <EnvVarsPanel serviceId={service.id} />
          </ReadOnly>
          <ReadOnly ability={service.can.configure}>
            <ObjectStoragePanel serviceId={service.id} />
          </ReadOnly>
        </div>
      );
    case 'settings':
      return (
        <ReadOnly ability={service.can.configure}>
          <RepositoryAccessPanel service={service} />
          <ConfigPanel service={service} />
          <DomainsPanel serviceId={service.id} />
        </ReadOnly>
      );
    case 'history':
      return (
        <>
          <InfraHistoryPanel serviceId={service.id} repoUrl={service.repoUrl} deploymentPath={deploymentPath} />
          <ActivityPanel serviceId={service.id} />
        </>
      );
  }
}

/** The service page's tabs; each has its own address (`/services/:id/:tab`). */
export function ServiceTabs({ service, tab = 'overview' }: { service: ServiceDto; tab: string | undefined }): ReactNode {
  if (!isTab(tab)) return <Navigate to={paths.service(service.id)} replace />;
  return (
    <Tabs
      label="Sections of this service"
      idBase="service"
      current={tab}
      tabs={SERVICE_TABS.map(([id, label]) => ({ id, label, to: paths.serviceTab(service.id, id) }))}
    >
      <Suspense fallback={<LoadingBlock label="Loading…" />}>
        <TabContent service={service} tab={tab} />
      </Suspense>
    </Tabs>
  );
}
