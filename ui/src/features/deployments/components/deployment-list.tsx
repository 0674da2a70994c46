import { Link } from 'react-router';
import { EmptyState, LoadingBlock, StatusBadge } from '../../../components/ui';
import { errorMessage } from '../../../lib/api-error';
import { commitUrl, formatAbsolute, formatDuration, formatRelative, shortSha } from '../../../lib/format';
import { isInProgress } from '../../../lib/status';
import { useNow } from '../../../lib/use-now';
import { deploymentDurationMs, useDeployments, type DeploymentView } from '../api/deployments';
import { Alert } from '../../../components/ui';
import { RollbackButton } from './rollback-button';
import { useCluster } from '../../cluster/use-cluster';

function Row({
  deployment,
  repoUrl,
  logPath,
  now,
  canRollBack,
}: {
  deployment: DeploymentView;
  repoUrl: string;
  logPath: string;
  now: number;
  /** A release that went live, is not the one running, and can be restored. */
  canRollBack: boolean;
}) {
  // A pending build without a cluster waits for one: no timer that runs for ever.
  const cluster = useCluster();
  const waiting = deployment.status === 'pending' && !cluster.connected;
  const duration = waiting ? null : deploymentDurationMs(deployment, now);
  const link = deployment.trigger === 'config' || deployment.trigger === 'rollback' ? 'Details' : 'Build log';
  return (
    <li className="grid grid-cols-1 gap-x-4 gap-y-1 bg-bg px-4 py-3 text-sm sm:grid-cols-[7rem_minmax(0,1fr)_auto]">
      <div>
        <StatusBadge status={deployment.status} />
      </div>
      <div className="min-w-0 space-y-0.5">
        <div className="flex flex-wrap items-baseline gap-x-2">
          <a href={commitUrl(repoUrl, deployment.commitSha)} target="_blank" rel="noreferrer" className="font-mono">
            {shortSha(deployment.commitSha)}
          </a>
          {deployment.commitMessage ? (
            <span className="min-w-0 truncate text-fg">{deployment.commitMessage.split('\n')[0]}</span>
          ) : null}
        </div>
        {deployment.status === 'failed' && deployment.reason ? (
          <p className="text-bad">{deployment.reason}</p>
        ) : null}
        {(deployment.status === 'pending' || deployment.status === 'building') && deployment.reason ? (
          <p className="text-warn">{deployment.reason}</p>
        ) : null}
        {deployment.imageDeleted ? (
          <p className="text-muted">Image deleted (older than the releases kept): this release cannot be restored.</p>
        ) : null}
        <p className="text-muted">
          <time dateTime={deployment.createdAt} title={formatAbsolute(deployment.createdAt)}>
            {formatRelative(deployment.createdAt, now)}
          </time>
          {waiting ? ' · waiting for a cluster' : ''}
          {duration !== null ? ` · ${isInProgress(deployment.status) ? 'running for ' : 'took '}${formatDuration(duration)}` : ''}
        </p>
      </div>
      <div className="flex flex-wrap items-center gap-3 sm:justify-end">
        {canRollBack ? <RollbackButton deployment={deployment} /> : null}
        <Link to={logPath} aria-label={`${link} of ${shortSha(deployment.commitSha)}`}>
          {link}
        </Link>
      </div>
    </li>
  );
}

/** A service's deployments, newest first, updating live. */
export function DeploymentList({
  serviceId,
  repoUrl,
  deploymentPath,
}: {
  serviceId: string;
  repoUrl: string;
  deploymentPath: (id: string) => string;
}) {
  const deployments = useDeployments(serviceId);
  const cluster = useCluster();
  const anyRunning = deployments.data?.some((d) => isInProgress(d.status) && (cluster.connected || d.status !== 'pending')) ?? false;
  const now = useNow(anyRunning);

  if (deployments.isPending) return <LoadingBlock label="Loading deployments…" />;
  if (deployments.error) {
    return <Alert tone="error" title="Could not load deployments">{errorMessage(deployments.error)}</Alert>;
  }
  if (deployments.data.length === 0) {
    return (
      <EmptyState title="No deployments yet">
        {cluster.connected
          ? 'Push to the branch once the webhook is set up, or press “Deploy now” to build the branch’s latest commit.'
          : 'Push to the branch once the webhook is set up: the push is recorded, and builds once a cluster is connected.'}
      </EmptyState>
    );
  }
  const sorted = [...deployments.data].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  // The newest release that went live is (as a rule) the one running: no rollback to it.
  const running = sorted.find((d) => d.status === 'live')?.id;
  return (
    <ul className="divide-y divide-line overflow-hidden rounded-md border border-line" aria-label="Deployments">
      {sorted.map((d) => (
        <Row key={d.id} deployment={d} repoUrl={repoUrl} logPath={deploymentPath(d.id)} now={now} canRollBack={d.restorable && d.id !== running} />
      ))}
    </ul>
  );
}
