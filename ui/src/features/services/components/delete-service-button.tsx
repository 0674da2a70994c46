import type { ServiceDto } from '@dangus/common';
import { useState } from 'react';
import { Button, ConfirmDialog } from '../../../components/ui';
import { errorMessage } from '../../../lib/api-error';
import { useDeleteService } from '../api/services';

/** "Delete service", confirmed by typing its name. */
export function DeleteServiceButton({ service, onDeleted }: { service: ServiceDto; onDeleted: () => void }) {
  const [open, setOpen] = useState(false);
  const remove = useDeleteService();
  return (
    <>
      <Button variant="danger" onClick={() => setOpen(true)}>
        Delete service
      </Button>
      <ConfirmDialog
        open={open}
        title={`Delete service ${service.name}?`}
        confirmText={service.name}
        confirmLabel="Delete service"
        pending={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : undefined}
        onClose={() => {
          setOpen(false);
          remove.reset();
        }}
        onConfirm={() =>
          remove.mutate(service, {
            onSuccess: () => {
              setOpen(false);
              onDeleted();
            },
          })
        }
      >
        <p>
          This removes its Deployment, Service, Ingress{service.storageGb !== null ? ', volume (and its data)' : ''} and
          env vars from the cluster, and stops {service.publicUrl} from answering.
        </p>
      </ConfirmDialog>
    </>
  );
}
