import { useState } from 'react';
import type { ServiceDto } from '@dangus/common';
import { Button, ConfirmDialog } from '../../../components/ui';
import { errorMessage } from '../../../lib/api-error';
import { useRestartService } from '../api/services';
import { reasonId } from './action-reasons';

/** "Restart": replaces the service's pods, after a confirmation that says how. */
export function RestartServiceButton({ service }: { service: ServiceDto }) {
  const [open, setOpen] = useState(false);
  const restart = useRestartService(service.id);
  return (
    <>
      <Button
        onClick={() => setOpen(true)}
        disabled={!service.can.restart.ok}
        title={service.can.restart.reason ?? undefined}
        aria-describedby={service.can.restart.ok ? undefined : reasonId(service, 'restart')}
      >
        Restart
      </Button>
      <ConfirmDialog
        open={open}
        title={`Restart ${service.name}?`}
        confirmLabel="Restart"
        pending={restart.isPending}
        error={restart.error ? errorMessage(restart.error) : undefined}
        onClose={() => {
          setOpen(false);
          restart.reset();
        }}
        onConfirm={() => restart.mutate(undefined, { onSuccess: () => setOpen(false) })}
      >
        <p>
          {service.storageGb === null
            ? 'New pods start before the old ones stop: no downtime when the app answers its health check.'
            : 'The service has a volume, which one pod at a time can mount: the old pod stops before the new one starts.'}{' '}
          The restart is a commit in the state repo, with your name.
        </p>
      </ConfirmDialog>
    </>
  );
}
