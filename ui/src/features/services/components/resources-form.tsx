import type { ServiceDto, ServiceSizeDto } from '@dangus/common';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Alert, Button, Field, inputClass } from '../../../components/ui';
import { api } from '../../../lib/api-client';
import { ApiError, errorMessage } from '../../../lib/api-error';
import { useUpdateService } from '../api/services';

/**
 * Replicas and size, saved together: the api checks them against the project's quota
 * first (a refusal names what is short), then commits and rolls them out.
 */
export function ResourcesForm({ service }: { service: ServiceDto }) {
  const sizes = useQuery({ queryKey: ['sizes'], queryFn: () => api.get<ServiceSizeDto[]>('/api/sizes'), staleTime: Infinity });
  const update = useUpdateService(service.id);
  const [replicas, setReplicas] = useState(String(service.replicas));
  const [size, setSize] = useState(service.size ?? '');
  const fields = update.error instanceof ApiError ? update.error.fields : {};
  const changed = replicas !== String(service.replicas) || size !== (service.size ?? '');
  return (
    <form
      aria-label="Replicas and size"
      className="grid gap-4 sm:grid-cols-[10rem_minmax(0,1fr)_auto] sm:items-end"
      onSubmit={(event) => {
        event.preventDefault();
        update.mutate({ replicas: /^\d+$/.test(replicas.trim()) ? Number(replicas.trim()) : Number.NaN, size: size === '' ? null : size });
      }}
    >
      <Field label="Replicas" errors={fields.replicas} hint={service.can.scale.reason ?? '1 to 10'}>
        {(props) => (
          <input
            {...props}
            className={inputClass}
            inputMode="numeric"
            disabled={!service.can.scale.ok}
            value={replicas}
            onChange={(e) => setReplicas(e.target.value)}
          />
        )}
      </Field>
      <Field label="Size" errors={fields.size} hint="CPU and memory of each pod">
        {(props) => (
          <select {...props} className={inputClass} value={size} onChange={(e) => setSize(e.target.value)}>
            <option value="">Default (the project's defaults)</option>
            {(sizes.data ?? []).map((s) => (
              <option key={s.name} value={s.name}>
                {s.name}: {s.cpu} CPU, {s.memory}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Button type="submit" variant="primary" disabled={!changed} loading={update.isPending}>
        Save
      </Button>
      {update.error && Object.keys(fields).length === 0 ? (
        <Alert tone="error" title="Not saved" className="sm:col-span-3">
          {errorMessage(update.error)}
        </Alert>
      ) : null}
      {update.error && update.error instanceof ApiError && update.error.status === 409 ? (
        <p role="alert" className="text-sm text-bad sm:col-span-3">
          {update.error.message}
        </p>
      ) : null}
    </form>
  );
}
