import { Alert, LoadingBlock, Section, StatusBadge } from '../../../components/ui';
import { errorMessage } from '../../../lib/api-error';
import { commitUrl, formatAbsolute, formatDuration, formatRelative, shortSha } from '../../../lib/format';
import { isInProgress } from '../../../lib/status';
import { useNow } from '../../../lib/use-now';
import { useBuildLog } from '../api/build-log';
import { deploymentDurationMs, useDeployment, type DeploymentView } from '../api/deployments';
import { LogViewer } from './log-viewer';
import { useCluster } from '../../cluster/use-cluster';

function BuildLogSection({ deployment, waiting }: { deployment: DeploymentView; waiting: boolean }) {
  const log = useBuildLog(deployment);
  const status =
    log.mode === 'stream'
      ? log.streamStatus === 'open'
        ? 'Streaming live…'
        : 'Connecting to the log stream…'
      : log.mode === 'polling'
        ? 'Live log streaming is not available on this server yet; refreshing every 3 s.'
        : 'Build finished.';
  return (
    <Section id="log" title="Build log">
      <LogViewer
        text={log.text}
        label={`Build log of ${shortSha(deployment.commitSha)}`}
        status={<span aria-live="polite">{status}</span>}
        placeholder={
          waiting
            ? 'No build yet: it starts once a cluster is connected.'
            : isInProgress(deployment.status)
              ? 'Waiting for the build to start…'
              : 'No build output was recorded.'
        }
      />
    </Section>
  );
}

/** One deployment: its status, commit, timing, failure reason and build log. */
export function DeploymentDetail({ deploymentId, repoUrl }: { deploymentId: string; repoUrl?: string }) {
  const query = useDeployment(deploymentId);
  const cluster = useCluster();
  // A pending build without a cluster waits for one: no timer that runs for ever.
  const waiting = query.data?.status === 'pending' && !cluster.connected;
  const now = useNow(isInProgress(query.data?.status) && !waiting);
  if (query.isPending) return <LoadingBlock label="Loading deployment…" />;
  if (query.error) return <Alert tone="error" title="Could not load the deployment">{errorMessage(query.error)}</Alert>;
  const d = query.data;
  const duration = deploymentDurationMs(d, now);
  return (
    <div className="space-y-6">
      <Section id="summary" title="Deployment">
        <dl className="grid grid-cols-1 gap-4 text-sm sm:grid-cols-2 lg:grid-cols-4">
          <div>
            <dt className="text-muted">Status</dt>
            <dd className="mt-1" aria-live="polite">
              <StatusBadge status={d.status} />
            </dd>
          </div>
          <div>
            <dt className="text-muted">Commit</dt>
            <dd className="mt-1 font-mono">
              {repoUrl ? (
                <a href={commitUrl(repoUrl, d.commitSha)} target="_blank" rel="noreferrer">
                  {shortSha(d.commitSha)}
                </a>
              ) : (
                shortSha(d.commitSha)
              )}
            </dd>
          </div>
          <div>
            <dt className="text-muted">Started</dt>
            <dd className="mt-1">
              <time dateTime={d.createdAt} title={formatAbsolute(d.createdAt)}>
                {formatRelative(d.createdAt, now)}
              </time>
            </dd>
          </div>
          <div>
            <dt className="text-muted">{waiting ? 'Waiting' : isInProgress(d.status) ? 'Running for' : 'Duration'}</dt>
            <dd className="mt-1">{waiting ? 'for a cluster' : duration === null ? '—' : formatDuration(duration)}</dd>
          </div>
          {d.commitMessage ? (
            <div className="sm:col-span-2 lg:col-span-4">
              <dt className="text-muted">Message</dt>
              <dd className="mt-1 whitespace-pre-wrap">{d.commitMessage}</dd>
            </div>
          ) : null}
          {d.imageTag ? (
            <div className="sm:col-span-2 lg:col-span-4">
              <dt className="text-muted">Image</dt>
              <dd className="mt-1 font-mono break-all">{d.imageTag.split('@')[0]}</dd>
            </div>
          ) : null}
          {d.imageDigest ? (
            <div className="sm:col-span-2 lg:col-span-4">
              <dt className="text-muted">Digest (what runs)</dt>
              <dd className="mt-1 font-mono break-all">{d.imageDigest}</dd>
            </div>
          ) : null}
        </dl>
        {d.status === 'failed' && d.reason ? (
          <Alert tone="error" title="Why it failed" className="mt-4">
            {d.reason}
          </Alert>
        ) : null}
        {waiting ? (
          <Alert tone="info" title="Waiting for a cluster" className="mt-4">
            {cluster.reason}
          </Alert>
        ) : null}
        {(d.status === 'pending' || d.status === 'building') && d.reason ? (
          <Alert tone="warning" title="Why it waits" className="mt-4">
            {d.reason}
          </Alert>
        ) : null}
      </Section>
      <BuildLogSection deployment={d} waiting={waiting} />
    </div>
  );
}
