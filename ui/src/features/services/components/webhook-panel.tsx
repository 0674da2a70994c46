import type { ServiceDto } from '@dangus/common';
import { useState } from 'react';
import { Badge, Button, CopyButton, CopyField, LoadingBlock, Section } from '../../../components/ui';
import { formatAbsolute, formatRelative } from '../../../lib/format';
import type { StatusTone } from '../../../lib/status';
import { useRedeliver, useWebhookDeliveries, type DeliveryFilter, type WebhookDeliveryView } from '../api/webhook-deliveries';
import { errorMessage } from '../../../lib/api-error';
import { PanelError } from './unavailable';

function outcomeTone(outcome: string | undefined): StatusTone {
  const o = (outcome ?? '').toLowerCase();
  if (/(deploy|accept|build|ok|success|queued|processed)/.test(o)) return 'ok';
  if (/(reject|fail|error|invalid|bad|denied)/.test(o)) return 'bad';
  if (/(ignor|skip|duplicate|ping)/.test(o)) return 'idle';
  return 'warn';
}

function Deliveries({ serviceId }: { serviceId: string }) {
  // Refused posts are listed apart: anyone can send them, and a flood must not hide GitHub's.
  const [filter, setFilter] = useState<DeliveryFilter>('accepted');
  const deliveries = useWebhookDeliveries(serviceId, filter);
  const redeliver = useRedeliver(serviceId);
  const tabs = (
    <div role="group" aria-label="Which deliveries" className="mb-2 flex gap-1">
      {(['accepted', 'rejected'] as const).map((f) => (
        <Button key={f} size="sm" variant={filter === f ? 'secondary' : 'ghost'} aria-pressed={filter === f} onClick={() => setFilter(f)}>
          {f === 'accepted' ? 'From GitHub' : 'Refused'}
        </Button>
      ))}
    </div>
  );
  if (deliveries.isPending) return <LoadingBlock label="Loading deliveries…" />;
  if (deliveries.error) return <PanelError error={deliveries.error} what="Webhook delivery history" />;
  if (deliveries.data.length === 0) {
    return (
      <>
        {tabs}
        <p className="text-sm text-muted">
          {filter === 'accepted' ? 'No deliveries yet. GitHub sends a “ping” as soon as the webhook is added.' : 'No refused deliveries.'}
        </p>
      </>
    );
  }
  return (
    <>
    {tabs}
    <ul className="divide-y divide-line rounded-md border border-line" aria-label="Recent webhook deliveries">
      {deliveries.data.slice(0, 20).map((d: WebhookDeliveryView) => {
        const at = d.receivedAt ?? d.createdAt;
        return (
          <li key={d.id} className="flex flex-wrap items-center gap-x-4 gap-y-1 bg-bg px-4 py-2 text-sm">
            <Badge tone={outcomeTone(d.outcome)}>{d.outcome ?? 'received'}</Badge>
            <span className="font-mono text-fg">{d.event ?? 'event'}</span>
            {d.reason ? <span className="min-w-0 flex-1 basis-48 text-muted">{d.reason}</span> : <span className="flex-1" />}
            {at ? (
              <time dateTime={at} title={formatAbsolute(at)} className="text-muted">
                {formatRelative(at)}
              </time>
            ) : null}
            {d.viaApp ? (
              <Button
                size="sm"
                variant="ghost"
                className="h-7"
                loading={redeliver.isPending && redeliver.variables === d.id}
                onClick={() => redeliver.mutate(d.id)}
                title="GitHub sends this delivery again (the same delivery id: what already built does not build twice)"
              >
                {redeliver.isSuccess && redeliver.variables === d.id ? 'Redelivered' : 'Redeliver'}
              </Button>
            ) : null}
            {redeliver.error && redeliver.variables === d.id ? <span className="basis-full text-bad">{errorMessage(redeliver.error)}</span> : null}
          </li>
        );
      })}
    </ul>
    </>
  );
}

/** The webhook to add on GitHub, the steps to add it, and what arrived. */
export function WebhookPanel({ service }: { service: ServiceDto }) {
  const [revealed, setRevealed] = useState(false);
  const settingsUrl = `${service.repoUrl.replace(/\.git$/, '')}/settings/hooks/new`;
  return (
    <Section
      id="webhook"
      title="GitHub webhook"
      description={
        service.pushesViaApp
          ? `Pushes to ${service.branch} arrive through the GitHub App: nothing to paste. The webhook below is the fallback for a repository outside the App.`
          : `A push to ${service.branch} builds and deploys this service.`
      }
    >
      <div className="space-y-5">
        <div className="grid grid-cols-1 gap-4 md:grid-cols-2">
          <div className="space-y-1.5">
            <p className="text-sm font-medium">Payload URL</p>
            <CopyField value={service.webhookUrl} label="webhook URL" />
          </div>
          <div className="space-y-1.5">
            <p className="text-sm font-medium">Secret</p>
            <div className="flex min-w-0 items-center gap-2 rounded-md border border-line bg-bg px-3 py-1.5">
              <code className="min-w-0 flex-1 truncate font-mono text-sm text-fg">
                {revealed ? service.webhookSecret : '•'.repeat(24)}
              </code>
              <Button size="sm" variant="ghost" className="h-7" onClick={() => setRevealed((r) => !r)} aria-pressed={revealed}>
                {revealed ? 'Hide' : 'Show'}
              </Button>
              <CopyButton value={service.webhookSecret} label="webhook secret" />
            </div>
          </div>
        </div>
        <ol className="list-decimal space-y-1 pl-5 text-sm text-muted marker:text-muted">
          <li>
            Open{' '}
            <a href={settingsUrl} target="_blank" rel="noreferrer">
              the repository’s Settings → Webhooks → Add webhook
            </a>
            .
          </li>
          <li>Paste the payload URL; set content type to <code className="font-mono text-fg">application/json</code>.</li>
          <li>Paste the secret.</li>
          <li>Choose “Just the push event”, keep “Active” ticked, and save.</li>
        </ol>
        <div className="space-y-2">
          <h3 className="text-sm font-semibold">Recent deliveries</h3>
          <Deliveries serviceId={service.id} />
        </div>
      </div>
    </Section>
  );
}
