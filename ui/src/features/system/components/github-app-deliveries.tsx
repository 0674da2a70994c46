import { useState } from 'react';
import { Alert, Badge, Button, LoadingBlock } from '../../../components/ui';
import { errorMessage } from '../../../lib/api-error';
import { formatAbsolute, formatRelative } from '../../../lib/format';
import { useAppDeliveries, useRedeliver, type AppDeliveryView } from '../api/github-app';

function Delivery({ delivery, onRedeliver, pending }: { delivery: AppDeliveryView; onRedeliver: () => void; pending: boolean }) {
  return (
    <li className="flex flex-wrap items-center gap-x-4 gap-y-1 bg-bg px-4 py-2 text-sm">
      <Badge tone={delivery.outcome === 'applied' ? 'ok' : 'idle'}>{delivery.outcome}</Badge>
      <span className="font-mono text-fg">
        {delivery.event}
        {delivery.action ? `.${delivery.action}` : ''}
      </span>
      <span className="min-w-0 flex-1 basis-48 text-muted">{delivery.reason}</span>
      <time dateTime={delivery.receivedAt} title={formatAbsolute(delivery.receivedAt)} className="text-muted">
        {formatRelative(delivery.receivedAt)}
      </time>
      {delivery.deliveryId ? (
        <Button size="sm" onClick={onRedeliver} loading={pending} aria-label={`Redeliver ${delivery.event} delivery ${delivery.deliveryId}`}>
          Redeliver
        </Button>
      ) : null}
    </li>
  );
}

/**
 * The App webhook's last deliveries and what each did (applied, or ignored and why), with
 * "Redeliver": GitHub sends the delivery again (its redelivery API, for three days).
 */
export function AppDeliveries() {
  const deliveries = useAppDeliveries();
  const redeliver = useRedeliver();
  const [asked, setAsked] = useState<string | null>(null);
  if (deliveries.isPending) return <LoadingBlock label="Loading deliveries…" />;
  if (deliveries.error) return <Alert tone="error" title="Could not load the deliveries">{errorMessage(deliveries.error)}</Alert>;
  return (
    <div className="mt-3 space-y-2 border-t border-line pt-4">
      <h3 className="text-sm font-medium text-fg">Webhook deliveries</h3>
      {redeliver.isSuccess ? (
        <Alert tone="info">GitHub is sending delivery {redeliver.data.deliveryId} again: it appears here when it arrives.</Alert>
      ) : null}
      {redeliver.error ? <Alert tone="error" title="Not sent again">{errorMessage(redeliver.error)}</Alert> : null}
      {deliveries.data.length === 0 ? (
        <p className="text-sm text-muted">No deliveries yet: GitHub sends one when the App is installed.</p>
      ) : (
        <ul aria-label="App webhook deliveries" className="divide-y divide-line rounded-md border border-line">
          {deliveries.data.map((d) => (
            <Delivery
              key={d.id}
              delivery={d}
              pending={redeliver.isPending && asked === d.id}
              onRedeliver={() => {
                setAsked(d.id);
                redeliver.mutate(d.id);
              }}
            />
          ))}
        </ul>
      )}
      <Button size="sm" variant="ghost" onClick={() => void deliveries.refetch()} loading={deliveries.isFetching}>
        Refresh
      </Button>
    </div>
  );
}
