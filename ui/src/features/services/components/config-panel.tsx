import type { ServiceDto } from '@dangus/common';
import { useState, type ReactNode } from 'react';
import { Button, Section } from '../../../components/ui';
import { valuesFromService, validateUpdate } from '../api/service-form-model';
import { useUpdateService } from '../api/services';
import { HstsSetting } from './hsts-setting';
import { ResourcesForm } from './resources-form';
import { ServiceForm } from './service-form';

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="grid grid-cols-1 gap-1 py-2 sm:grid-cols-[12rem_minmax(0,1fr)] sm:gap-4">
      <dt className="text-sm text-muted">{label}</dt>
      <dd className="min-w-0 text-sm break-words text-fg">{children}</dd>
    </div>
  );
}

/** The service's configuration, edited in place; a save is one commit and a rollout. */
export function ConfigPanel({ service }: { service: ServiceDto }) {
  const [editing, setEditing] = useState(false);
  const update = useUpdateService(service.id);

  return (
    <Section
      id="configuration"
      title="Configuration"
      description={editing ? 'Saving commits the change to the state repo and rolls it out.' : undefined}
      actions={
        editing ? null : (
          <Button size="sm" onClick={() => setEditing(true)}>
            Edit
          </Button>
        )
      }
    >
      {editing ? (
        <ServiceForm
          key={service.id}
          mode="edit"
          initial={valuesFromService(service)}
          validate={(values) => validateUpdate(values, service)}
          onValid={(input) => update.mutate(input, { onSuccess: () => setEditing(false) })}
          pending={update.isPending}
          serverError={update.error}
          submitLabel="Save changes"
          onCancel={() => {
            update.reset();
            setEditing(false);
          }}
        />
      ) : (
        <dl className="divide-y divide-line">
          <Row label="Repository">
            <a href={service.repoUrl} target="_blank" rel="noreferrer" className="break-all">
              {service.repoUrl}
            </a>
          </Row>
          <Row label="Branch">
            <code className="font-mono">{service.branch}</code>
          </Row>
          <Row label="Build context">
            {service.contextDir === '.' ? 'The repository root' : <code className="font-mono">{service.contextDir}</code>}
          </Row>
          <Row label="Dockerfile">
            <code className="font-mono">{service.dockerfilePath}</code>
          </Row>
          <Row label="Watch paths">
            {service.watchPaths.length === 0 ? 'None: every push builds' : <code className="whitespace-pre-line font-mono">{service.watchPaths.join('\n')}</code>}
          </Row>
          <Row label="Port">{service.port}</Row>
          <Row label="Storage">{service.storageGb === null ? 'None' : `${service.storageGb} GB at /data`}</Row>
          <Row label="Health check">
            {service.healthCheckPath === null ? 'Off' : <code className="font-mono">{service.healthCheckPath}</code>}
          </Row>
        </dl>
      )}
      {editing ? null : (
        <div className="mt-4 border-t border-line pt-4">
          <ResourcesForm key={`${service.id}-${String(service.replicas)}-${service.size ?? ''}`} service={service} />
          <div className="mt-4 border-t border-line pt-4">
            <HstsSetting service={service} />
          </div>
        </div>
      )}
    </Section>
  );
}
