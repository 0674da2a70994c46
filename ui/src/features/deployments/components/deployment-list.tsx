import { Link } from 'react-router';
import { EmptyState, LoadingBlock, StatusBadge } from '../../../components/ui';
import { errorMessage } from '../../../lib/api-error';
import { commitUrl, formatAbsolute, formatDuration, formatRelative, shortSha } from '../../../lib/format';
import { isInProgress } from '../../../lib/status';
import { useNow } from '../../../lib/use-now';
import { deploymentDurationMs, useDeployments, type DeploymentView } from '../api/deployments';
import { Alert } from '../../../components/ui';

function Row({
  deployment,
  repoUrl,
  logPath,
  now,
}: {
  deployment: DeploymentView;
  repoUrl: string;
  logPath: string;
  now: number;
}) {
  const duration = deploymentDurationMs(deployment, now);
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
        <p className="text-muted">
          <time dateTime={deployment.createdAt} title={formatAbsolute(deployment.createdAt)}>
            {formatRelative(deployment.createdAt, now)}
          </time>
          {duration !== null ? ` · ${isInProgress(deployment.status) ? 'running for ' : 'took '}${formatDuration(duration)}` : ''}
        </p>
      </div>
      <div className="sm:text-right">
        <Link to={logPath} aria-label={`Build log of ${shortSha(deployment.commitSha)}`}>
          Build log
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
  const anyRunning = deployments.data?.some((d) => isInProgress(d.status)) ?? false;
  const now = useNow(anyRunning);

  if (deployments.isPending) return <LoadingBlock label="Loading deployments…" />;
  if (deployments.error) {
    return <Alert tone="error" title="Could not load deployments">{errorMessage(deployments.error)}</Alert>;
  }
  if (deployments.data.length === 0) {
    return (
      <EmptyState title="No deployments yet">
        Push to the branch once the webhook is set up, or press “Deploy now” to build the branch’s latest commit.
      </EmptyState>
    );
  }
  const sorted = [...deployments.data].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return (
    <ul className="divide-y divide-line overflow-hidden rounded-md border border-line" aria-label="Deployments">
      {sorted.map((d) => (
        <Row key={d.id} deployment={d} repoUrl={repoUrl} logPath={deploymentPath(d.id)} now={now} />
      ))}
    </ul>
  );
}
