import { Navigate, useSearchParams } from 'react-router';
import { Alert, Button, Spinner, buttonClass } from '../../../components/ui';
import { errorMessage } from '../../../lib/api-error';
import { useAuthConfig, useLocalSignIn, useMe } from '../api/auth';
import { Logo } from '../../../components/ui/logo';

function GitHubMark() {
  return (
    <svg aria-hidden="true" viewBox="0 0 16 16" className="size-5 fill-current">
      <path d="M8 0C3.58 0 0 3.58 0 8c0 3.54 2.29 6.53 5.47 7.59.4.07.55-.17.55-.38 0-.19-.01-.82-.01-1.49-2.01.37-2.53-.49-2.69-.94-.09-.23-.48-.94-.82-1.13-.28-.15-.68-.52-.01-.53.63-.01 1.08.58 1.23.82.72 1.21 1.87.87 2.33.66.07-.52.28-.87.51-1.07-1.78-.2-3.64-.89-3.64-3.95 0-.87.31-1.59.82-2.15-.08-.2-.36-1.02.08-2.12 0 0 .67-.21 2.2.82.64-.18 1.32-.27 2-.27.68 0 1.36.09 2 .27 1.53-1.04 2.2-.82 2.2-.82.44 1.1.16 1.92.08 2.12.51.56.82 1.27.82 2.15 0 3.07-1.87 3.75-3.65 3.95.29.25.54.73.54 1.48 0 1.07-.01 1.93-.01 2.2 0 .21.15.46.55.38A8.013 8.013 0 0 0 16 8c0-4.42-3.58-8-8-8Z" />
    </svg>
  );
}

/** Sign in: GitHub, or the local sign-in of the embedded default. */
export function SignInPage() {
  const me = useMe();
  const config = useAuthConfig();
  const local = useLocalSignIn();
  // The OAuth callback sends the user back here with ?error=… when GitHub sign-in fails.
  const [params] = useSearchParams();
  const callbackError = params.get('error');
  // …and with ?refused=… when the platform's sign-in policy did not let them in.
  const refused = params.get('refused');

  if (me.data) return <Navigate to="/" replace />;

  // Without /auth/config (older api), offer GitHub: it is always the production way in.
  const showGithub = config.data ? config.data.github : !config.isPending;
  const showLocal = config.data?.local ?? false;

  return (
    <main className="flex min-h-dvh items-center justify-center px-4 py-12">
      <div className="w-full max-w-sm space-y-8">
        <div className="flex flex-col items-center gap-3 text-center">
          <Logo className="size-12" />
          <h1 className="text-2xl font-semibold">Sign in to Dangus Cloud</h1>
          <p className="text-sm text-muted">Push to GitHub, live at its own address. Every change is a git commit.</p>
        </div>
        <div className="space-y-3 rounded-lg border border-line bg-surface p-6">
          {config.isPending ? (
            <div className="flex justify-center py-2">
              <Spinner label="Loading sign-in options" />
            </div>
          ) : null}
          {showLocal ? (
            <>
              <Button
                variant="primary"
                className="w-full"
                loading={local.isPending}
                onClick={() => local.mutate()}
              >
                Sign in locally
              </Button>
              <p className="text-xs text-muted">
                Local sign-in is on because no GitHub OAuth app is configured and the server listens on this
                machine only.
              </p>
            </>
          ) : null}
          {showGithub ? (
            <a
              href="/auth/github"
              className={buttonClass(showLocal ? 'secondary' : 'primary', 'md', 'w-full no-underline')}
            >
              <GitHubMark />
              Sign in with GitHub
            </a>
          ) : null}
          {config.data && !config.data.github && !config.data.local ? (
            <Alert tone="warning" title="No sign-in method is configured">
              Set the GitHub OAuth settings on the server, then reload this page.
            </Alert>
          ) : null}
          {refused ? (
            <Alert tone="error" title="Not allowed in">
              {refused}.
            </Alert>
          ) : null}
          {callbackError ? (
            <Alert tone="error" title="GitHub sign-in did not complete">
              {callbackError}
            </Alert>
          ) : null}
          {local.error ? (
            <Alert tone="error" title="Could not sign in">
              {errorMessage(local.error)}
            </Alert>
          ) : null}
          {me.error ? (
            <Alert tone="error" title="Could not reach the server">
              {errorMessage(me.error)}
            </Alert>
          ) : null}
        </div>
      </div>
    </main>
  );
}
