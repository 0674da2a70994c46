import type { DockerfileSuggestionDto } from '@dangus/common';
import { Alert, Button, Field, Input, inputClass } from '../../../components/ui';
import { cn } from '../../../lib/cn';
import { errorMessage } from '../../../lib/api-error';
import type { ServiceFormValues } from '../api/service-form-model';
import { useFindDockerfiles, usePreviewWatchedFiles } from '../api/repository-files';

export interface MonorepoFieldsProps {
  values: ServiceFormValues;
  set: <K extends keyof ServiceFormValues>(key: K, value: ServiceFormValues[K]) => void;
  errorsFor: (field: string) => string[];
  blur: (field: string) => () => void;
  /** Whether the repository URL and branch are valid, so the repository can be read. */
  canReadRepository: boolean;
}

/**
 * Where in the repository the service lives: the Dockerfiles found on the branch (choosing
 * one fills in the path, the context and the watch paths), the build context, and the watch
 * paths with a preview of the files of the branch's head they select.
 */
export function MonorepoFields({ values, set, errorsFor, blur, canReadRepository }: MonorepoFieldsProps) {
  const find = useFindDockerfiles();
  const preview = usePreviewWatchedFiles();
  const repository = { repoUrl: values.repoUrl.trim(), branch: values.branch.trim() };
  const choose = (suggestion: DockerfileSuggestionDto) => {
    set('dockerfilePath', suggestion.dockerfilePath);
    set('contextDir', suggestion.contextDir);
    set('watchPaths', suggestion.watchPaths.join('\n'));
    preview.reset();
  };

  return (
    <fieldset className="space-y-4 rounded-md border border-line p-4">
      <legend className="px-1 text-sm font-medium text-fg">Source folder and watch paths</legend>
      <div className="flex flex-wrap items-center gap-3">
        <Button size="sm" disabled={!canReadRepository} loading={find.isPending} onClick={() => find.mutate(repository)}>
          Find Dockerfiles
        </Button>
        <span className="text-xs text-muted">
          {canReadRepository ? 'Lists the Dockerfiles on the branch, for a monorepo.' : 'Enter the repository and branch first.'}
        </span>
      </div>
      {find.error ? <Alert tone="error" title="Could not read the repository">{errorMessage(find.error)}</Alert> : null}
      {find.data ? (
        find.data.dockerfiles.length === 0 ? (
          <p className="text-sm text-muted">No Dockerfile on {repository.branch} at {find.data.commitSha.slice(0, 7)}: add one, or type its path.</p>
        ) : (
          <ul aria-label="Dockerfiles found" className="divide-y divide-line rounded-md border border-line">
            {find.data.dockerfiles.map((suggestion) => {
              const chosen = values.dockerfilePath === suggestion.dockerfilePath && values.contextDir === suggestion.contextDir;
              return (
                <li key={suggestion.path} className="flex flex-wrap items-center gap-x-3 gap-y-1 px-3 py-2 text-sm">
                  <code className="min-w-0 flex-1 font-mono text-fg">{suggestion.path}</code>
                  <span className="text-xs text-muted">context {suggestion.contextDir === '.' ? 'the root' : suggestion.contextDir}</span>
                  <Button size="sm" variant={chosen ? 'secondary' : 'ghost'} aria-pressed={chosen} onClick={() => choose(suggestion)}>
                    {chosen ? 'Chosen' : 'Use this one'}
                  </Button>
                </li>
              );
            })}
          </ul>
        )
      ) : null}

      <div className="grid grid-cols-1 gap-5 md:grid-cols-2">
        <Field
          label="Build context"
          errors={errorsFor('contextDir')}
          hint="The folder built, relative to the repository root (. for the root). The Dockerfile path is relative to it."
        >
          {(ids) => (
            <Input
              {...ids}
              name="contextDir"
              value={values.contextDir}
              autoComplete="off"
              spellCheck={false}
              placeholder="apps/web"
              onChange={(e) => set('contextDir', e.target.value)}
              onBlur={blur('contextDir')}
            />
          )}
        </Field>
        <Field
          label="Watch paths"
          errors={errorsFor('watchPaths')}
          hint={
            <>
              One pattern per line, gitignore-style: <code className="font-mono">apps/web/**</code>, <code className="font-mono">!**/*.md</code>; the
              last match wins. A push builds only if a changed file matches. Empty: every push builds. Add root lockfiles too.
            </>
          }
        >
          {(ids) => (
            <textarea
              {...ids}
              name="watchPaths"
              rows={4}
              value={values.watchPaths}
              spellCheck={false}
              placeholder={'apps/web/**\npackage-lock.json'}
              className={cn(inputClass, 'font-mono')}
              onChange={(e) => {
                set('watchPaths', e.target.value);
                preview.reset();
              }}
              onBlur={blur('watchPaths')}
            />
          )}
        </Field>
      </div>
      <div className="space-y-2">
        <Button
          size="sm"
          disabled={!canReadRepository || values.watchPaths.trim() === '' || errorsFor('watchPaths').length > 0}
          loading={preview.isPending}
          onClick={() => preview.mutate({ ...repository, watchPaths: values.watchPaths })}
        >
          Preview matching files
        </Button>
        {preview.error ? <Alert tone="error" title="Could not preview">{errorMessage(preview.error)}</Alert> : null}
        {preview.data ? (
          <div role="status" aria-label="Matching files" className="space-y-1 text-sm">
            <p className="text-fg">
              {preview.data.matchedCount} of {preview.data.fileCount} files on {repository.branch} at{' '}
              <code className="font-mono">{preview.data.commitSha.slice(0, 7)}</code> match
              {preview.data.matchedCount === 0 ? ': no push would build this service.' : '.'}
            </p>
            {preview.data.matched.length > 0 ? (
              <ul className="max-h-40 overflow-auto rounded-md border border-line bg-bg px-3 py-2 font-mono text-xs text-muted">
                {preview.data.matched.map((file) => (
                  <li key={file}>{file}</li>
                ))}
                {preview.data.matchedCount > preview.data.matched.length ? (
                  <li>… and {preview.data.matchedCount - preview.data.matched.length} more</li>
                ) : null}
              </ul>
            ) : null}
          </div>
        ) : null}
      </div>
    </fieldset>
  );
}
