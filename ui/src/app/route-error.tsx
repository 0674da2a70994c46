import { isRouteErrorResponse, useRouteError } from 'react-router';
import { Alert, ButtonLink } from '../components/ui';

/** Last line of defence: a render error shows a message, never a blank page. */
export function RouteError() {
  const error = useRouteError();
  const message = isRouteErrorResponse(error)
    ? `${error.status} ${error.statusText}`
    : error instanceof Error
      ? error.message
      : 'Unknown error';
  return (
    <main className="mx-auto max-w-xl px-4 py-16">
      <Alert tone="error" title="This page failed to load" action={<ButtonLink to="/">Go to projects</ButtonLink>}>
        {message}
      </Alert>
    </main>
  );
}
