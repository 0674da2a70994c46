import { suggestServiceName } from '@dangus/common';
import { useRef, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { Badge, Combobox, Field, Input } from '../../../components/ui';
import { errorMessage } from '../../../lib/api-error';
import {
  findRepository,
  isNoGitHubApp,
  searchRepositories,
  useGitHubRepositories,
  useInstallationPage,
  type GitHubRepository,
} from '../api/github-repositories';
import type { ServiceFormValues } from '../api/service-form-model';

/** What the source fields get from the service form: its values, setter and messages. */
export interface SourceFieldProps {
  values: ServiceFormValues;
  set: <K extends keyof ServiceFormValues>(key: K, value: ServiceFormValues[K]) => void;
  errorsFor: (field: string) => string[];
  blur: (field: string) => () => void;
}

/** What the new-service page tells the picker: who asks, and the names the project already has. */
export interface PickerContext {
  isAdmin: boolean;
  /** Where an admin connects GitHub (the System page). */
  connectHref: string;
  /** The project's service names: a suggested name avoids them. */
  takenNames: readonly string[];
}

const SHOWN = 50;

/** The repository URL typed by hand: today's field, and the fallback for repositories outside the App. */
function RepoUrlField({ values, set, errorsFor, blur, below }: SourceFieldProps & { below?: ReactNode }) {
  return (
    <div className="space-y-2">
      <Field label="GitHub repository URL" errors={errorsFor('repoUrl')} hint="https://github.com/{owner}/{repo}">
        {(ids) => (
          <Input
            {...ids}
            name="repoUrl"
            type="url"
            inputMode="url"
            value={values.repoUrl}
            autoComplete="off"
            spellCheck={false}
            placeholder="https://github.com/octo-org/hello"
            onChange={(e) => set('repoUrl', e.target.value)}
            onBlur={blur('repoUrl')}
          />
        )}
      </Field>
      {below}
    </div>
  );
}

function RepositoryOption({ repository }: { repository: GitHubRepository }) {
  return (
    <span className="flex items-center justify-between gap-3">
      <span className="min-w-0">
        <span className="block truncate font-medium">{repository.fullName}</span>
        <span className="block truncate text-xs text-muted">
          {repository.accountType === 'Organization' ? 'Organization' : 'Account'} {repository.account}
        </span>
      </span>
      {repository.private ? <Badge tone="warn">Private</Badge> : null}
    </span>
  );
}

/**
 * The new service's repository: picked from the repositories the user reaches through the
 * GitHub App (search as you type), which fills the branch with the repository's default one
 * and suggests a name; or typed as a URL (no App, or a repository outside its installations).
 * Without `picker` (editing a service) it is the URL field alone.
 */
export function RepositoryField(props: SourceFieldProps & { picker?: PickerContext | undefined }) {
  const { picker } = props;
  if (!picker) return <RepoUrlField {...props} />;
  return <RepositoryPicker {...props} picker={picker} />;
}

function RepositoryPicker({ picker, ...form }: SourceFieldProps & { picker: PickerContext }) {
  const { values, set, errorsFor } = form;
  const repositories = useGitHubRepositories();
  const connected = repositories.isSuccess;
  const installPage = useInstallationPage(connected);
  const picked = findRepository(repositories.data, values.repoUrl);
  const [manual, setManual] = useState(false);
  const [query, setQuery] = useState<string | null>(null);
  const suggested = useRef<string | null>(null);

  if (repositories.isError) {
    const noApp = isNoGitHubApp(repositories.error);
    return (
      <RepoUrlField
        {...form}
        below={
          noApp ? (
            picker.isAdmin ? (
              <p className="text-xs text-muted">
                <Link className="underline" to={picker.connectHref}>
                  Connect GitHub
                </Link>{' '}
                on the System page to pick repositories from a list.
              </p>
            ) : null
          ) : (
            <p role="alert" className="text-xs text-bad">
              Could not list your GitHub repositories: {errorMessage(repositories.error)}{' '}
              <button type="button" className="underline" onClick={() => void repositories.refetch()}>
                Try again
              </button>
            </p>
          )
        }
      />
    );
  }

  const installLink = installPage.data ? (
    <a className="underline" href={installPage.data.url} target="_blank" rel="noreferrer">
      Install on another account
    </a>
  ) : null;

  if (manual) {
    return (
      <RepoUrlField
        {...form}
        below={
          <p className="flex flex-wrap gap-x-4 text-xs text-muted">
            <button type="button" className="underline" onClick={() => setManual(false)}>
              Pick from your repositories
            </button>
            {installLink}
          </p>
        }
      />
    );
  }

  const list = repositories.data ?? [];
  const text = query ?? picked?.fullName ?? '';
  const showAll = query === null || text === picked?.fullName;
  const options = showAll ? list.slice(0, SHOWN) : searchRepositories(list, text, SHOWN);
  const matching = showAll ? list.length : searchRepositories(list, text, Number.MAX_SAFE_INTEGER).length;
  const status = repositories.isPending
    ? 'Loading your repositories…'
    : list.length === 0
      ? 'The GitHub App reaches none of your repositories yet: install it on your account or an organization.'
      : options.length === 0
        ? `No repository matches "${text}".`
        : matching > options.length
          ? `${String(options.length)} of ${String(matching)} shown: type to narrow.`
          : undefined;

  const pick = (repository: GitHubRepository) => {
    setQuery(null);
    set('repoUrl', repository.repoUrl);
    set('branch', repository.defaultBranch);
    if (values.name === '' || values.name === suggested.current) {
      const name = suggestServiceName(repository.fullName.split('/')[1] ?? '', picker.takenNames);
      suggested.current = name;
      set('name', name);
    }
  };
  const errors = values.repoUrl.trim() === '' && errorsFor('repoUrl').length > 0 ? ['Pick a repository, or enter its URL by hand.'] : errorsFor('repoUrl');

  return (
    <div className="space-y-2">
      <Field
        label="Repository"
        errors={errors}
        hint={
          picked ? (
            <span className="inline-flex flex-wrap items-center gap-2">
              {picked.private ? <Badge tone="warn">Private</Badge> : <Badge>Public</Badge>}
              through the GitHub App on {picked.accountType === 'Organization' ? 'organization' : 'account'} {picked.account}
            </span>
          ) : repositories.isSuccess && list.length === 0 ? (
            'The GitHub App reaches none of your repositories yet: install it on your account or an organization.'
          ) : (
            'Your repositories on the accounts and organizations the GitHub App is installed on.'
          )
        }
      >
        {(ids) => (
          <Combobox
            inputProps={ids}
            name="repository"
            value={text}
            onValueChange={setQuery}
            options={options}
            optionKey={(r) => String(r.id)}
            renderOption={(r) => <RepositoryOption repository={r} />}
            onPick={pick}
            listLabel="Your repositories"
            selectOnFocus
            status={status}
            placeholder={repositories.isPending ? 'Loading your repositories…' : 'Search your repositories'}
            onBlur={() => {
              // Leaving without a pick keeps the repository picked before.
              setQuery(null);
              form.blur('repoUrl')();
            }}
          />
        )}
      </Field>
      <p className="flex flex-wrap gap-x-4 text-xs text-muted">
        <button type="button" className="underline" onClick={() => setManual(true)}>
          Enter a repository URL instead
        </button>
        {installLink}
      </p>
    </div>
  );
}
