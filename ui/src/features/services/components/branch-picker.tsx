import { Badge, Combobox, Field, Input } from '../../../components/ui';
import { errorMessage } from '../../../lib/api-error';
import { findRepository, useGitHubRepositories, useRepositoryBranches } from '../api/github-repositories';
import type { SourceFieldProps } from './repository-picker';

const SHOWN = 50;
const HINT = 'Pushes to this branch are built and deployed.';

/** The branch typed by hand: editing a service, or a repository the GitHub App does not reach. */
function BranchInput({ values, set, errorsFor, blur }: SourceFieldProps) {
  return (
    <Field label="Branch" errors={errorsFor('branch')} hint={HINT}>
      {(ids) => (
        <Input
          {...ids}
          name="branch"
          value={values.branch}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => set('branch', e.target.value)}
          onBlur={blur('branch')}
        />
      )}
    </Field>
  );
}

/**
 * The service's branch. For a repository the user reaches through the GitHub App (`pickable`,
 * the new-service form), a combobox of its branches read through the installation, the
 * default one first (the repository picker preselects it); any other name can still be typed
 * (a branch pushed later). Otherwise a text field.
 */
export function BranchField({ pickable, ...form }: SourceFieldProps & { pickable: boolean }) {
  const repositories = useGitHubRepositories(pickable);
  const repository = pickable ? findRepository(repositories.data, form.values.repoUrl) : undefined;
  if (!repository) return <BranchInput {...form} />;
  return <BranchPicker {...form} fullName={repository.fullName} />;
}

function BranchPicker({ values, set, errorsFor, blur, fullName }: SourceFieldProps & { fullName: string }) {
  const branches = useRepositoryBranches(fullName);
  const names = branches.data?.branches.map((b) => b.name) ?? [];
  const defaultBranch = branches.data?.repository.defaultBranch;
  const typed = values.branch.trim();
  const exact = names.includes(typed);
  const matching = exact || typed === '' ? names : names.filter((name) => name.toLowerCase().includes(typed.toLowerCase()));
  const options = matching.slice(0, SHOWN);
  const status = branches.isPending
    ? 'Loading branches…'
    : branches.isError
      ? `Could not list the branches: ${errorMessage(branches.error)}`
      : names.length === 0
        ? 'No branches yet: type the name of the branch you will push.'
        : options.length === 0
          ? `No branch matches "${typed}": pushes to it are built once it exists.`
          : matching.length > options.length || branches.data.truncated
            ? `${String(options.length)} of ${branches.data.truncated ? 'many' : String(matching.length)} shown: type to narrow.`
            : undefined;
  const hint = branches.isError ? (
    <span role="alert" className="text-bad">
      Could not list the branches of {fullName}: {errorMessage(branches.error)} You can still type one.
    </span>
  ) : branches.isSuccess && typed !== '' && !exact && !branches.data.truncated ? (
    `${fullName} has no branch "${typed}" yet: pushes to it are built once it exists.`
  ) : (
    HINT
  );

  return (
    <Field label="Branch" errors={errorsFor('branch')} hint={hint}>
      {(ids) => (
        <Combobox
          inputProps={ids}
          name="branch"
          value={values.branch}
          onValueChange={(text) => set('branch', text)}
          options={options}
          optionKey={(name) => name}
          renderOption={(name) => (
            <span className="flex items-center justify-between gap-3">
              <span className="truncate font-mono">{name}</span>
              {name === defaultBranch ? <Badge>default</Badge> : null}
            </span>
          )}
          onPick={(name) => set('branch', name)}
          listLabel={`Branches of ${fullName}`}
          status={status}
          placeholder={branches.isPending ? 'Loading branches…' : 'main'}
          onBlur={blur('branch')}
        />
      )}
    </Field>
  );
}
