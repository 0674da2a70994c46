import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { Alert, Badge, Button, Field, Input, LoadingBlock, Section } from '../../../components/ui';
import { ApiError, errorMessage } from '../../../lib/api-error';
import { useConnectGitHub, useGitHubApp, type GitHubAppView } from '../api/github-app';
import { AppDeliveries } from './github-app-deliveries';

function ConnectForm() {
  const connect = useConnectGitHub();
  const [owner, setOwner] = useState<'user' | 'organization'>('user');
  const [organization, setOrganization] = useState('');
  const [name, setName] = useState('');
  const fields = connect.error instanceof ApiError ? connect.error.fields : {};
  const submit = () => {
    connect.mutate({ owner, ...(owner === 'organization' ? { organization: organization.trim() } : {}), ...(name.trim() ? { name: name.trim() } : {}) });
  };
  return (
    <form className="space-y-4" onSubmit={(event) => {
        event.preventDefault();
        submit();
      }} aria-label="Connect GitHub">
      <p className="text-sm text-muted">
        Creates a GitHub App for this platform on GitHub: users then sign in with it, pick repositories from a list, and pushes reach
        the platform without pasting webhooks.
      </p>
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium text-fg">Owner of the App</legend>
        <label className="flex items-center gap-2 text-sm">
          <input type="radio" name="owner" checked={owner === 'user'} onChange={() => setOwner('user')} /> My personal account
        </label>
        <label className="flex items-center gap-2 text-sm">
          <input type="radio" name="owner" checked={owner === 'organization'} onChange={() => setOwner('organization')} /> An organization
        </label>
      </fieldset>
      {owner === 'organization' ? (
        <Field label="Organization" errors={fields.organization}>
          {(props) => <Input {...props} value={organization} onChange={(e) => setOrganization(e.target.value)} required autoComplete="off" />}
        </Field>
      ) : null}
      <Field label="App name (optional)" hint="Unique on GitHub, at most 34 characters." errors={fields.name}>
        {(props) => <Input {...props} value={name} onChange={(e) => setName(e.target.value)} maxLength={34} autoComplete="off" />}
      </Field>
      {connect.error && Object.keys(fields).length === 0 ? <Alert tone="error" title="Could not start">{errorMessage(connect.error)}</Alert> : null}
      <Button type="submit" variant="primary" disabled={connect.isPending}>
        Connect GitHub
      </Button>
    </form>
  );
}

function Connected({ app }: { app: GitHubAppView }) {
  return (
    <div className="space-y-3 text-sm">
      <p>
        <a className="font-medium underline" href={app.htmlUrl ?? undefined} target="_blank" rel="noreferrer">
          {app.name}
        </a>{' '}
        <Badge tone="ok">Connected</Badge> {app.source === 'environment' ? <span className="text-muted">(from GITHUB_APP_* settings)</span> : null}
      </p>
      {app.installations.length === 0 ? (
        <p className="text-muted">Not installed on any account yet.</p>
      ) : (
        <ul aria-label="Installations" className="space-y-1">
          {app.installations.map((i) => (
            <li key={i.id}>
              <span className="font-medium">{i.account}</span> ({i.accountType === 'Organization' ? 'organization' : 'account'}):{' '}
              {i.repositorySelection === 'all' ? 'all repositories' : `${String(i.repositories)} repositor${i.repositories === 1 ? 'y' : 'ies'}`}
              {i.suspended ? <Badge tone="warn">Suspended</Badge> : null}
            </li>
          ))}
        </ul>
      )}
      {app.installUrl ? (
        <a className="underline" href={app.installUrl} target="_blank" rel="noreferrer">
          Install on an account or organization
        </a>
      ) : null}
      <AppDeliveries />
    </div>
  );
}

/** The System page's GitHub panel: "Connect GitHub" (the App manifest flow), then the App and its installations. */
export function GitHubAppPanel() {
  const app = useGitHubApp();
  const [params] = useSearchParams();
  const failure = params.get('github_error');
  return (
    <Section id="github-app" title="GitHub" description="The GitHub App that signs users in and receives pushes.">
      <div className="space-y-4">
        {params.get('github') === 'connected' ? <Alert tone="info" title="GitHub is connected">Install the App on the accounts whose repositories you deploy.</Alert> : null}
        {failure ? <Alert tone="error" title="GitHub was not connected">{failure}</Alert> : null}
        {app.isPending ? <LoadingBlock /> : app.error ? <Alert tone="error" title="Could not load the GitHub App">{errorMessage(app.error)}</Alert> : app.data.connected ? <Connected app={app.data} /> : <ConnectForm />}
      </div>
    </Section>
  );
}
