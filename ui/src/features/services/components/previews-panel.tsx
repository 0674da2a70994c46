import type { PreviewDto, ServiceDto } from '@dangus/common';
import { Link } from 'react-router';
import { paths } from '../../../app/paths';
import { Alert, Badge, Button, LoadingBlock, Section } from '../../../components/ui';
import { formatAbsolute, formatRelative, shortSha } from '../../../lib/format';
import type { StatusTone } from '../../../lib/status';
import { useApprovePreview, usePreviews, useTearDownPreview } from '../api/previews';
import { refusedForRole } from '../../teams/components/read-only';
import { PreviewSeedKeys } from './preview-seed-keys';
import { PanelError } from './unavailable';

const LOOK: Record<PreviewDto['state'], { label: string; tone: StatusTone }> = {
  awaiting_approval: { label: 'Waiting for approval', tone: 'warn' },
  pending: { label: 'Building', tone: 'warn' },
  building: { label: 'Building', tone: 'warn' },
  live: { label: 'Live', tone: 'ok' },
  failed: { label: 'Failed', tone: 'bad' },
  refused: { label: 'Refused: over the cap', tone: 'bad' },
  closed: { label: 'Torn down', tone: 'idle' },
  expired: { label: 'Expired', tone: 'idle' },
};

/** The states in which a build started: its log is there to read. */
const BUILT = new Set<PreviewDto['state']>(['pending', 'building', 'live', 'failed', 'closed', 'expired']);

/** "in 3 days" / "3 days ago" of an ISO time, from now. */
function timeLeft(iso: string): string {
  const ms = Date.parse(iso) - Date.now();
  if (ms <= 0) return 'due now';
  const hours = Math.round(ms / 3_600_000);
  return hours >= 48 ? `${String(Math.round(hours / 24))} days left` : `${String(Math.max(1, hours))} h left`;
}

/** The service's previews of pull requests: state, URL, commit, age, time left; "Approve" for a waiting head, "Tear down". */
export function PreviewsPanel({ service }: { service: ServiceDto }) {
  const previews = usePreviews(service.id);
  const approve = useApprovePreview(service.id);
  const tearDown = useTearDownPreview(service.id);
  const settings = service.previews;
  const error = approve.error ?? tearDown.error;
  return (
    <Section
      id="previews"
      title="Previews"
      description={
        settings.enabled
          ? `Each pull request against ${service.branch} gets its own address: at most ${String(settings.max)} at once, each torn down ${String(settings.ttlDays)} days after its last push or when it closes. A fork's push builds only once a maintainer approves it.`
          : 'Previews of pull requests are off for this service: turn them on with the API (PATCH the service with previews.enabled).'
      }
    >
      <PreviewSeedKeys service={service} />
      {error ? <Alert tone="error">{error.message}</Alert> : null}
      {previews.isPending ? <LoadingBlock label="Loading previews…" /> : null}
      {previews.error ? <PanelError error={previews.error} what="Previews" /> : null}
      {previews.data && previews.data.length === 0 ? <p className="text-sm text-muted">No pull request has a preview.</p> : null}
      {previews.data && previews.data.length > 0 ? (
        <ul aria-label="Previews" className="divide-y divide-line rounded-md border border-line">
          {previews.data.map((preview) => {
            const look = LOOK[preview.state];
            const open = preview.closedAt === null;
            return (
              <li key={preview.id} aria-label={`Pull request #${String(preview.number)}`} className="flex flex-wrap items-center gap-x-3 gap-y-1 bg-bg px-4 py-3 text-sm">
                <span className="font-medium text-fg">#{preview.number}</span>
                <span className="min-w-0 truncate text-fg">{preview.title}</span>
                <Badge tone={look.tone}>{look.label}</Badge>
                {preview.fork ? <Badge tone="idle">fork</Badge> : null}
                <code className="font-mono text-xs text-muted">{shortSha(preview.headSha)}</code>
                {open && preview.state !== 'refused' && preview.state !== 'awaiting_approval' ? (
                  <a className="text-accent underline" href={preview.url} target="_blank" rel="noreferrer">
                    {preview.url.replace(/^https?:\/\//, '')}
                  </a>
                ) : null}
                <span className="text-xs text-muted" title={formatAbsolute(preview.lastPushAt)}>
                  pushed {formatRelative(preview.lastPushAt)} by {preview.author}
                </span>
                {preview.expiresAt ? <span className="text-xs text-muted" title={formatAbsolute(preview.expiresAt)}>{timeLeft(preview.expiresAt)}</span> : null}
                {BUILT.has(preview.state) && !refusedForRole(service.can.observe) ? (
                  <Link className="text-xs text-accent underline" to={paths.preview(service.id, preview.number)}>
                    Build log
                  </Link>
                ) : null}
                {preview.reason ? <p className="basis-full text-xs text-muted">{preview.reason}</p> : null}
                <span className="ml-auto flex gap-2">
                  {preview.needsApproval ? (
                    <Button size="sm" variant="primary" disabled={approve.isPending} onClick={() => approve.mutate({ number: preview.number, headSha: preview.headSha })}>
                      Approve
                    </Button>
                  ) : null}
                  {open ? (
                    <Button size="sm" variant="danger" disabled={tearDown.isPending} onClick={() => tearDown.mutate({ number: preview.number })}>
                      Tear down
                    </Button>
                  ) : null}
                </span>
              </li>
            );
          })}
        </ul>
      ) : null}
    </Section>
  );
}
