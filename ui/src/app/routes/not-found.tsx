import { ApiError } from '../../lib/api-error';
import { EmptyState, ButtonLink, Alert } from '../../components/ui';
import { errorMessage } from '../../lib/api-error';

export function NotFoundRoute() {
  return (
    <EmptyState title="Page not found" action={<ButtonLink to="/">Go to projects</ButtonLink>}>
      There is nothing at this address.
    </EmptyState>
  );
}

/** A resource that failed to load: "not found" (also another user's, which the api hides) or an error. */
export function LoadError({ error, what }: { error: unknown; what: string }) {
  if (error instanceof ApiError && error.isNotFound) {
    return (
      <EmptyState title={`${what} not found`} action={<ButtonLink to="/">Go to projects</ButtonLink>}>
        It may have been deleted, or it belongs to another account.
      </EmptyState>
    );
  }
  return (
    <Alert tone="error" title={`Could not load the ${what.toLowerCase()}`}>
      {errorMessage(error)}
    </Alert>
  );
}
