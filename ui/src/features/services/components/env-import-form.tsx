import type { EnvImportDto } from '@dangus/common';
import { useId, useState } from 'react';
import { Alert, Button, Field, inputClass } from '../../../components/ui';
import { ApiError, errorMessage } from '../../../lib/api-error';
import { cn } from '../../../lib/cn';
import { useImportEnv, usePreviewEnvImport } from '../api/env-vars';

const GROUPS = [
  ['added', 'Added', 'text-ok'],
  ['changed', 'Changed', 'text-warn'],
  ['unchanged', 'Unchanged', 'text-muted'],
  ['kept', 'Not in the file, kept as they are', 'text-muted'],
] as const;

/** What an import will do, by key: values are never shown. */
function Preview({ plan }: { plan: EnvImportDto }) {
  return (
    <div className="grid grid-cols-1 gap-3 sm:grid-cols-2" aria-label="What the import does" role="group">
      {GROUPS.map(([group, label, tone]) => (
        <div key={group} className="rounded-md border border-line p-3">
          <p className={cn('text-sm font-medium', tone)}>
            {label} ({plan[group].length})
          </p>
          {plan[group].length > 0 ? (
            <ul aria-label={label} className="mt-1 flex flex-wrap gap-x-3 gap-y-1">
              {plan[group].map((key) => (
                <li key={key}>
                  <code className="font-mono text-sm text-fg">{key}</code>
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ))}
    </div>
  );
}

/**
 * Paste a whole `.env` file: the api reads it (dotenv) and says which keys it adds,
 * changes or leaves; nothing is written until "Apply". Bad lines are listed by number.
 */
export function EnvImportForm({
  serviceId,
  onImported,
  onCancel,
}: {
  serviceId: string;
  onImported: (result: EnvImportDto) => void;
  onCancel: () => void;
}) {
  const [text, setText] = useState('');
  const preview = usePreviewEnvImport(serviceId);
  const apply = useImportEnv(serviceId);
  const formId = useId();
  const failure = apply.error ?? preview.error;
  const lineErrors = failure instanceof ApiError ? (failure.fields.dotenv ?? []) : [];
  const plan = preview.data;
  const changes = plan ? plan.added.length + plan.changed.length : 0;

  return (
    <form
      noValidate
      aria-labelledby={`${formId}-title`}
      className="space-y-3 rounded-md border border-line bg-bg p-4"
      onSubmit={(e) => {
        e.preventDefault();
        if (plan && changes > 0) {
          apply.mutate(text, {
            onSuccess: (result) => {
              setText('');
              onImported(result);
            },
          });
        } else {
          apply.reset();
          preview.mutate(text);
        }
      }}
    >
      <h3 id={`${formId}-title`} className="text-sm font-semibold">
        Import a .env file
      </h3>
      <Field
        label="Paste a .env file"
        hint="KEY=value lines; comments, export, quotes and multi-line values as dotenv reads them. Variables not in the file are kept."
        errors={lineErrors}
      >
        {(ids) => (
          <textarea
            {...ids}
            name="dotenv"
            value={text}
            rows={8}
            spellCheck={false}
            autoComplete="off"
            autoFocus
            placeholder={'DATABASE_URL=postgres://…\nAPI_KEY=…'}
            className={cn(inputClass, 'font-mono')}
            onChange={(e) => {
              setText(e.target.value);
              preview.reset();
              apply.reset();
            }}
          />
        )}
      </Field>
      {failure && lineErrors.length === 0 ? <Alert tone="error">{errorMessage(failure)}</Alert> : null}
      {plan ? <Preview plan={plan} /> : null}
      {plan && changes === 0 ? <p className="text-sm text-muted">Nothing to change: the service already has these values.</p> : null}
      <div className="flex flex-wrap gap-2">
        {plan && changes > 0 ? (
          <Button type="submit" variant="primary" size="sm" loading={apply.isPending}>
            {`Apply ${String(changes)} ${changes === 1 ? 'change' : 'changes'}`}
          </Button>
        ) : (
          <Button type="submit" variant="primary" size="sm" loading={preview.isPending} disabled={text.trim() === ''}>
            Preview changes
          </Button>
        )}
        <Button size="sm" onClick={onCancel} disabled={apply.isPending}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
