import { serviceHostFor } from '@dangus/common';
import { useState, type ReactNode } from 'react';
import { Alert, Button, Field, Input } from '../../../components/ui';
import { ApiError, errorMessage } from '../../../lib/api-error';
import { apiFieldErrors, type FieldErrors } from '../../../lib/field-errors';
import { SERVICE_FIELDS, type ServiceFormValues, type Validated } from '../api/service-form-model';
import { MonorepoFields } from './monorepo-fields';
import { BranchField } from './branch-picker';
import { RepositoryField, type PickerContext } from './repository-picker';

export interface ServiceFormProps<T> {
  mode: 'create' | 'edit';
  initial: ServiceFormValues;
  /** For the public address preview of a new service: its owner's hash and project. */
  userHash?: string;
  projectName?: string;
  validate: (values: ServiceFormValues) => Validated<T>;
  onValid: (input: T) => void;
  pending: boolean;
  /** The last failed submission's error; per-field messages are shown under their fields. */
  serverError: unknown;
  submitLabel: string;
  onCancel?: () => void;
  /** The new-service form: the repository and branch are picked through the GitHub App when one is connected. */
  picker?: PickerContext;
}

function Switch({
  checked,
  onChange,
  label,
  description,
}: {
  checked: boolean;
  onChange: (checked: boolean) => void;
  label: string;
  description?: ReactNode;
}) {
  return (
    <label className="flex cursor-pointer items-start gap-3">
      <input
        type="checkbox"
        role="switch"
        checked={checked}
        onChange={(event) => onChange(event.target.checked)}
        className="mt-0.5 size-4 shrink-0 accent-[var(--accent-strong)]"
      />
      <span>
        <span className="block text-sm font-medium text-fg">{label}</span>
        {description ? <span className="block text-xs text-muted">{description}</span> : null}
      </span>
    </label>
  );
}

/**
 * The new/edit service form: checked as you type with the api's own schemas,
 * and the api's per-field errors shown under their fields until edited.
 */
export function ServiceForm<T>({
  mode,
  initial,
  userHash,
  projectName,
  validate,
  onValid,
  pending,
  serverError,
  submitLabel,
  onCancel,
  picker,
}: ServiceFormProps<T>) {
  const [values, setValues] = useState<ServiceFormValues>(initial);
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [editedSinceSubmit, setEditedSinceSubmit] = useState<ReadonlySet<string>>(new Set());

  const result = validate(values);
  const localErrors: FieldErrors = result.ok ? {} : result.errors;
  const serverErrors: FieldErrors =
    serverError instanceof ApiError ? apiFieldErrors(serverError.fields, SERVICE_FIELDS) : {};

  const errorsFor = (field: string): string[] => {
    const local = submitted || touched.has(field) ? (localErrors[field] ?? []) : [];
    const server = editedSinceSubmit.has(field) ? [] : (serverErrors[field] ?? []);
    return [...new Set([...local, ...server])];
  };

  const set = <K extends keyof ServiceFormValues>(key: K, value: ServiceFormValues[K]) => {
    setValues((old) => ({ ...old, [key]: value }));
    const field = key === 'storageEnabled' ? 'storageGb' : key === 'healthCheckEnabled' ? 'healthCheckPath' : key;
    setTouched((old) => new Set(old).add(field));
    setEditedSinceSubmit((old) => new Set(old).add(field));
  };
  const blur = (field: string) => () => setTouched((old) => new Set(old).add(field));

  const hasFieldErrors = Object.keys(serverErrors).some((k) => k !== '_form');
  const formErrors = [
    ...(submitted && !result.ok && mode === 'edit' ? (localErrors._form ?? []) : []),
    ...(serverErrors._form ?? []),
  ];
  const generalServerError =
    serverError && !hasFieldErrors && (serverErrors._form ?? []).length === 0 ? errorMessage(serverError) : null;

  return (
    <form
      noValidate
      className="space-y-5"
      onSubmit={(event) => {
        event.preventDefault();
        setSubmitted(true);
        setEditedSinceSubmit(new Set());
        if (result.ok) onValid(result.input);
      }}
    >
      <div className="grid grid-cols-1 gap-5 md:grid-cols-2">
        <RepositoryField values={values} set={set} errorsFor={errorsFor} blur={blur} picker={mode === 'create' ? picker : undefined} />
        {mode === 'create' ? (
          <Field
            label="Service name"
            errors={errorsFor('name')}
            hint={
              <>
                Public address:{' '}
                <code className="font-mono text-fg">{serviceHostFor(userHash ?? '…', projectName ?? '…', values.name || '…')}</code>; the
                name and the address cannot change later.
              </>
            }
          >
            {(ids) => (
              <Input
                {...ids}
                name="name"
                value={values.name}
                autoComplete="off"
                spellCheck={false}
                placeholder="web"
                onChange={(e) => set('name', e.target.value)}
                onBlur={blur('name')}
              />
            )}
          </Field>
        ) : null}
        <BranchField values={values} set={set} errorsFor={errorsFor} blur={blur} pickable={mode === 'create' && picker !== undefined} />
        <Field label="Dockerfile path" errors={errorsFor('dockerfilePath')} hint="Relative to the build context (below).">
          {(ids) => (
            <Input
              {...ids}
              name="dockerfilePath"
              value={values.dockerfilePath}
              autoComplete="off"
              spellCheck={false}
              onChange={(e) => set('dockerfilePath', e.target.value)}
              onBlur={blur('dockerfilePath')}
            />
          )}
        </Field>
        <Field label="Container port" errors={errorsFor('port')} hint="The port your app listens on inside the container.">
          {(ids) => (
            <Input
              {...ids}
              name="port"
              inputMode="numeric"
              value={values.port}
              autoComplete="off"
              placeholder="8080"
              onChange={(e) => set('port', e.target.value)}
              onBlur={blur('port')}
            />
          )}
        </Field>
      </div>

      <MonorepoFields
        values={values}
        set={set}
        errorsFor={errorsFor}
        blur={blur}
        canReadRepository={!localErrors.repoUrl && !localErrors.branch && values.repoUrl.trim() !== ''}
      />

      <fieldset className="space-y-3 rounded-md border border-line p-4">
        <legend className="px-1 text-sm font-medium text-fg">Storage</legend>
        <Switch
          label="Persistent volume"
          description="Mounted at /data; kept across deploys."
          checked={values.storageEnabled}
          onChange={(checked) => set('storageEnabled', checked)}
        />
        {values.storageEnabled ? (
          <Field label={`Size: ${values.storageGb} GB`} errors={errorsFor('storageGb')} hint="From 1 to 10 GB.">
            {(ids) => (
              <input
                {...ids}
                name="storageGb"
                type="range"
                min={1}
                max={10}
                step={1}
                value={values.storageGb}
                aria-valuetext={`${values.storageGb} GB`}
                onChange={(e) => set('storageGb', Number(e.target.value))}
                className="w-full max-w-sm accent-[var(--accent-strong)]"
              />
            )}
          </Field>
        ) : (
          errorsFor('storageGb').map((m) => (
            <p key={m} className="text-xs text-bad">
              {m}
            </p>
          ))
        )}
      </fieldset>

      <fieldset className="space-y-3 rounded-md border border-line p-4">
        <legend className="px-1 text-sm font-medium text-fg">Health check</legend>
        <Switch
          label="HTTP health check"
          description="Traffic goes to a new version only once this path answers 2xx."
          checked={values.healthCheckEnabled}
          onChange={(checked) => set('healthCheckEnabled', checked)}
        />
        {values.healthCheckEnabled ? (
          <Field label="Health check path" errors={errorsFor('healthCheckPath')}>
            {(ids) => (
              <Input
                {...ids}
                name="healthCheckPath"
                value={values.healthCheckPath}
                autoComplete="off"
                spellCheck={false}
                className="max-w-sm"
                onChange={(e) => set('healthCheckPath', e.target.value)}
                onBlur={blur('healthCheckPath')}
              />
            )}
          </Field>
        ) : (
          errorsFor('healthCheckPath').map((m) => (
            <p key={m} className="text-xs text-bad">
              {m}
            </p>
          ))
        )}
      </fieldset>

      {formErrors.length > 0 ? (
        <Alert tone={submitted && serverErrors._form ? 'error' : 'info'}>
          <ul>
            {formErrors.map((m) => (
              <li key={m}>{m}</li>
            ))}
          </ul>
        </Alert>
      ) : null}
      {generalServerError ? (
        <Alert tone="error" title={mode === 'create' ? 'Could not create the service' : 'Could not save'}>
          {generalServerError}
        </Alert>
      ) : null}
      {hasFieldErrors && !pending ? (
        <p role="alert" className="text-sm text-bad">
          {serverError instanceof ApiError ? serverError.message : 'Some fields need attention.'}
        </p>
      ) : null}

      <div className="flex flex-wrap gap-2">
        <Button type="submit" variant="primary" loading={pending}>
          {submitLabel}
        </Button>
        {onCancel ? (
          <Button onClick={onCancel} disabled={pending}>
            Cancel
          </Button>
        ) : null}
      </div>
    </form>
  );
}
