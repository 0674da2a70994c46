import type { ServiceDto } from '@dangus/common';
import { DeleteButton } from '../../../components/ui';
import { useDeleteService } from '../api/services';

/** "Delete service", confirmed by typing its name. */
export function DeleteServiceButton({ service, onDeleted }: { service: ServiceDto; onDeleted: () => void }) {
  const remove = useDeleteService();
  return (
    <DeleteButton
      noun="service"
      name={service.name}
      mutation={remove}
      remove={(done) => remove.mutate(service, { onSuccess: done })}
      onDeleted={onDeleted}
    >
      <p>
        This removes its Deployment, Service, Ingress{service.storageGb !== null ? ', volume (and its data)' : ''} and
        env vars from the cluster, and stops {service.publicUrl} from answering.
      </p>
    </DeleteButton>
  );
}
