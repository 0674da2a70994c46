import { envKeySchema, envValueSchema, type EnvImportDto, type EnvVarDto } from '@dangus/common';
import { useId, useState } from 'react';
import { Alert, Button, ConfirmDialog, EmptyState, Field, Input, LoadingBlock, Section } from '../../../components/ui';
import { ApiError, errorMessage } from '../../../lib/api-error';
import { useCreateEnvVar, useDeleteEnvVar, useEnvVars, useRevealEnvValue, useUpdateEnvVar } from '../api/env-vars';
import { EnvImportForm } from './env-import-form';

function keyErrors(key: string): string[] {
  const result = envKeySchema.safeParse(key);
  return result.success ? [] : result.error.issues.map((i) => i.message);
}

function valueErrors(value: string): string[] {
  const result = envValueSchema.safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => i.message);
}

/** A secret input whose text can be shown while typing (reveal-on-edit only). */
function SecretInput({
  value,
  onChange,
  ids,
  placeholder,
}: {
  value: string;
  onChange: (value: string) => void;
  ids: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean };
  placeholder?: string;
}) {
  const [shown, setShown] = useState(false);
  return (
    <div className="flex gap-2">
      <Input
        {...ids}
        type={shown ? 'text' : 'password'}
        value={value}
        autoComplete="new-password"
        spellCheck={false}
        placeholder={placeholder}
        onChange={(e) => onChange(e.target.value)}
        className="font-mono"
      />
      <Button size="md" onClick={() => setShown((s) => !s)} aria-pressed={shown}>
        {shown ? 'Hide' : 'Show'}
      </Button>
    </div>
  );
}

function fieldErrorsOf(error: unknown, field: string): string[] {
  if (!(error instanceof ApiError)) return [];
  return error.fields[field] ?? (field === 'key' && error.status === 409 ? [error.message] : []);
}

/** Add a variable, or edit one (`existing`): an empty value keeps the stored one. */
function EnvVarForm({
  serviceId,
  existing,
  onDone,
}: {
  serviceId: string;
  existing?: EnvVarDto;
  onDone: () => void;
}) {
  const [key, setKey] = useState(existing?.key ?? '');
  const [value, setValue] = useState('');
  const [touched, setTouched] = useState(false);
  const create = useCreateEnvVar(serviceId);
  const update = useUpdateEnvVar(serviceId);
  const mutation = existing ? update : create;
  const formId = useId();

  const localKey = keyErrors(key);
  const localValue = valueErrors(value);
  const serverKey = fieldErrorsOf(mutation.error, 'key');
  const serverValue = fieldErrorsOf(mutation.error, 'value');
  const other =
    mutation.error && serverKey.length === 0 && serverValue.length === 0 ? errorMessage(mutation.error) : null;

  return (
    <form
      noValidate
      aria-labelledby={`${formId}-title`}
      className="space-y-3 rounded-md border border-line bg-bg p-4"
      onSubmit={(e) => {
        e.preventDefault();
        setTouched(true);
        if (localKey.length > 0 || localValue.length > 0) return;
        if (existing) {
          const input = {
            ...(key !== existing.key ? { key } : {}),
            ...(value !== '' ? { value } : {}),
          };
          if (Object.keys(input).length === 0) {
            onDone();
            return;
          }
          update.mutate({ id: existing.id, input }, { onSuccess: onDone });
        } else {
          create.mutate({ key, value }, { onSuccess: onDone });
        }
      }}
    >
      <h3 id={`${formId}-title`} className="text-sm font-semibold">
        {existing ? `Edit ${existing.key}` : 'New variable'}
      </h3>
      <div className="grid grid-cols-1 gap-3 md:grid-cols-2">
        <Field label="Key" errors={[...(touched ? localKey : []), ...serverKey]}>
          {(ids) => (
            <Input
              {...ids}
              name="key"
              value={key}
              autoComplete="off"
              spellCheck={false}
              placeholder="DATABASE_URL"
              className="font-mono"
              autoFocus
              onChange={(e) => {
                setKey(e.target.value);
                setTouched(true);
              }}
            />
          )}
        </Field>
        <Field
          label="Value"
          errors={[...(touched ? localValue : []), ...serverValue]}
          hint={existing ? 'Leave empty to keep the current value. Stored values are never shown.' : 'Stored encrypted; never shown again.'}
        >
          {(ids) => (
            <SecretInput ids={ids} value={value} onChange={setValue} placeholder={existing ? '••••••••' : ''} />
          )}
        </Field>
      </div>
      {other ? <Alert tone="error">{other}</Alert> : null}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" variant="primary" size="sm" loading={mutation.isPending}>
          {existing ? 'Save' : 'Add variable'}
        </Button>
        <Button size="sm" onClick={onDone} disabled={mutation.isPending}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

/** One variable: its key, its value masked until its owner reveals it (which the api records). */
function EnvVarRow({ serviceId, env, onEdit, onDelete }: { serviceId: string; env: EnvVarDto; onEdit: () => void; onDelete: () => void }) {
  const reveal = useRevealEnvValue(serviceId);
  const shown = reveal.data?.id === env.id ? reveal.data.value : null;
  return (
    <li className="flex flex-wrap items-center gap-x-4 gap-y-2 bg-bg px-4 py-2.5">
      <code className="min-w-0 flex-1 basis-40 font-mono text-sm break-all text-fg">{env.key}</code>
      {shown === null ? (
        <span className="font-mono text-sm text-muted" aria-label="value hidden">
          ••••••••
        </span>
      ) : (
        <code className="max-w-full min-w-0 basis-60 font-mono text-sm break-all whitespace-pre-wrap text-fg" aria-label={`value of ${env.key}`}>
          {shown}
        </code>
      )}
      {reveal.error ? <span className="text-sm text-bad">{errorMessage(reveal.error)}</span> : null}
      <div className="flex gap-2">
        {shown === null ? (
          <Button size="sm" variant="ghost" loading={reveal.isPending} onClick={() => reveal.mutate(env.id)} aria-label={`Reveal ${env.key}`} title="Shows the value; recorded in the service's activity">
            Reveal
          </Button>
        ) : (
          <Button size="sm" variant="ghost" onClick={() => reveal.reset()} aria-label={`Hide ${env.key}`}>
            Hide
          </Button>
        )}
        <Button size="sm" onClick={onEdit} aria-label={`Edit ${env.key}`}>
          Edit
        </Button>
        <Button size="sm" variant="ghost" onClick={onDelete} aria-label={`Delete ${env.key}`}>
          Delete
        </Button>
      </div>
    </li>
  );
}

function importedSentence(result: EnvImportDto): string {
  const what = `${String(result.added.length)} added, ${String(result.changed.length)} changed`;
  if (!result.applied) return 'Nothing to change: the service already had these values.';
  return result.deploymentId ? `Imported: ${what}. The service rolls out with them.` : `Imported: ${what}. They apply from the first deployment.`;
}

/** Env vars of a service: masked values; add, import a .env file, reveal, edit (new value only) and delete. */
export function EnvVarsPanel({ serviceId }: { serviceId: string }) {
  const envVars = useEnvVars(serviceId);
  const [adding, setAdding] = useState(false);
  const [importing, setImporting] = useState(false);
  const [imported, setImported] = useState<EnvImportDto | null>(null);
  const [editingId, setEditingId] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<EnvVarDto | null>(null);
  const remove = useDeleteEnvVar(serviceId);

  const list = [...(envVars.data ?? [])].sort((a, b) => a.key.localeCompare(b.key));

  return (
    <Section
      id="env"
      title="Environment variables"
      description="Encrypted at rest and injected as a Secret; a change rolls the service out. Values never enter git."
      actions={
        adding || importing ? null : (
          <>
            <Button size="sm" onClick={() => { setImporting(true); setImported(null); }}>
              Import .env
            </Button>
            <Button size="sm" variant="primary" onClick={() => { setAdding(true); setImported(null); }}>
              Add variable
            </Button>
          </>
        )
      }
    >
      <div className="space-y-3">
        {adding ? <EnvVarForm serviceId={serviceId} onDone={() => setAdding(false)} /> : null}
        {importing ? (
          <EnvImportForm
            serviceId={serviceId}
            onCancel={() => setImporting(false)}
            onImported={(result) => {
              setImporting(false);
              setImported(result);
            }}
          />
        ) : null}
        {imported ? <Alert tone="info">{importedSentence(imported)}</Alert> : null}
        {envVars.isPending ? <LoadingBlock label="Loading variables…" /> : null}
        {envVars.error ? <Alert tone="error" title="Could not load variables">{errorMessage(envVars.error)}</Alert> : null}
        {envVars.data && list.length === 0 && !adding && !importing ? (
          <EmptyState title="No environment variables">
            Add the settings your app reads from its environment, such as <code className="font-mono">DATABASE_URL</code>, or import a whole .env file.
          </EmptyState>
        ) : null}
        {list.length > 0 ? (
          <ul className="divide-y divide-line rounded-md border border-line" aria-label="Environment variables">
            {list.map((env) =>
              editingId === env.id ? (
                <li key={env.id} className="p-2">
                  <EnvVarForm serviceId={serviceId} existing={env} onDone={() => setEditingId(null)} />
                </li>
              ) : (
                <EnvVarRow key={env.id} serviceId={serviceId} env={env} onEdit={() => setEditingId(env.id)} onDelete={() => setDeleting(env)} />
              ),
            )}
          </ul>
        ) : null}
      </div>
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete ${deleting?.key ?? 'variable'}?`}
        confirmLabel="Delete variable"
        pending={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : undefined}
        onClose={() => {
          setDeleting(null);
          remove.reset();
        }}
        onConfirm={() => {
          if (deleting) remove.mutate(deleting.id, { onSuccess: () => setDeleting(null) });
        }}
      >
        <p>The service is rolled out again without it.</p>
      </ConfirmDialog>
    </Section>
  );
}
