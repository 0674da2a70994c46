import { useParams } from 'react-router';
import { Alert, LoadingBlock, PageHeader, Section } from '../../components/ui';
import { LogViewer } from '../../features/deployments/components/log-viewer';
import { usePreviewLog } from '../../features/services/api/previews';
import { useService } from '../../features/services/api/services';
import { ApiError, errorMessage } from '../../lib/api-error';
import { formatAbsolute, formatRelative, shortSha } from '../../lib/format';
import { stripAnsi } from '../../lib/log-text';
import { ServicePageCrumbs } from './crumbs';

/** A pull request's preview: the log of its last build (the pull request's comment links here). */
export function PreviewRoute() {
  const { serviceId = '', number: numberParam = '' } = useParams();
  const number = Number(numberParam);
  const service = useService(serviceId);
  const log = usePreviewLog(serviceId, number);
  const title = `Preview of #${numberParam}`;
  return (
    <>
      <PageHeader
        title={title}
        crumbs={<ServicePageCrumbs serviceId={serviceId} page={`#${numberParam}`} />}
      />
      <Section id="log" title="Build log">
        {log.isPending ? <LoadingBlock label="Loading the build log…" /> : null}
        {service.data && log.error instanceof ApiError && log.error.isNotFound ? (
          <p className="text-sm text-muted">No build of this pull request has started yet: its log shows here once it does.</p>
        ) : log.error ? (
          <Alert tone="error">{errorMessage(log.error)}</Alert>
        ) : null}
        {log.data ? (
          <LogViewer
            text={stripAnsi(log.data.log)}
            label={`Build log of ${shortSha(log.data.headSha)}`}
            status={
              <span aria-live="polite" title={formatAbsolute(log.data.startedAt)}>
                Commit <code className="font-mono">{shortSha(log.data.headSha)}</code>, started {formatRelative(log.data.startedAt)}:{' '}
                {log.data.complete ? 'build finished.' : 'building, refreshing every 2 s…'}
              </span>
            }
            placeholder={log.data.complete ? 'No build output was recorded.' : 'Waiting for the build to start…'}
          />
        ) : null}
      </Section>
    </>
  );
}
