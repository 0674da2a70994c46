import { namespaceFor, projectNameSchema, type ProjectDto } from '@dangus/common';
import { useState } from 'react';
import { Alert, Button, Field, Input, inputClass } from '../../../components/ui';
import { ApiError, errorMessage } from '../../../lib/api-error';
import { useCreateProject } from '../api/projects';
import { useTeams } from '../../teams/api/teams';
import { roleAllows } from '@dangus/common';

/** The messages for a project name as typed, empty when it is valid. */
export function projectNameErrors(name: string): string[] {
  const result = projectNameSchema.safeParse(name);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
}

/**
 * "New project": the name is checked as it is typed, with the namespace it
 * will get, so a bad name is fixed before it is sent.
 */
export function NewProjectForm({
  userHash,
  onCreated,
  onCancel,
}: {
  userHash: string;
  onCreated: (project: ProjectDto) => void;
  onCancel?: () => void;
}) {
  const [name, setName] = useState('');
  const [touched, setTouched] = useState(false);
  // The space the project goes to: yours, or a team's where your role may create projects.
  const [teamId, setTeamId] = useState('');
  const teams = useTeams();
  const spaces = (teams.data ?? []).filter((t) => roleAllows(t.role, 'configure'));
  const hash = spaces.find((t) => t.id === teamId)?.hash ?? userHash;
  const create = useCreateProject();

  const localErrors = projectNameErrors(name);
  const serverErrors =
    create.error instanceof ApiError && create.variables?.name === name
      ? (create.error.fields.name ?? (create.error.status === 409 ? [create.error.message] : []))
      : [];
  const shownErrors = touched ? [...localErrors, ...serverErrors] : serverErrors;
  const otherError =
    create.error && create.variables.name === name && serverErrors.length === 0 ? errorMessage(create.error) : null;

  return (
    <form
      noValidate
      className="space-y-4"
      onSubmit={(event) => {
        event.preventDefault();
        setTouched(true);
        if (localErrors.length > 0) return;
        create.mutate(teamId ? { name, teamId } : { name }, { onSuccess: onCreated });
      }}
    >
      <Field
        label="Project name"
        errors={shownErrors}
        hint={
          <>
            Namespace:{' '}
            <code className="font-mono text-fg">{namespaceFor(hash, name || '…')}</code>
            {' · '}lowercase letters and digits, starting with a letter, single “-” between them.
          </>
        }
      >
        {(ids) => (
          <Input
            {...ids}
            name="name"
            value={name}
            autoFocus
            autoComplete="off"
            spellCheck={false}
            placeholder="my-app"
            onChange={(event) => {
              setName(event.target.value);
              setTouched(true);
            }}
          />
        )}
      </Field>
      {spaces.length > 0 ? (
        <Field label="Space" hint="Your own projects, or a team's: its members reach it in their roles.">
          {(ids) => (
            <select {...ids} name="space" className={inputClass} value={teamId} onChange={(event) => setTeamId(event.target.value)}>
              <option value="">Personal</option>
              {spaces.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          )}
        </Field>
      ) : null}
      {otherError ? <Alert tone="error" title="Could not create the project">{otherError}</Alert> : null}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" variant="primary" loading={create.isPending}>
          Create project
        </Button>
        {onCancel ? <Button onClick={onCancel}>Cancel</Button> : null}
      </div>
    </form>
  );
}
