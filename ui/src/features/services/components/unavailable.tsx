import { Alert } from '../../../components/ui';
import { ApiError, errorMessage } from '../../../lib/api-error';

/**
 * The message for a panel whose endpoint failed: an endpoint that is not on
 * this server yet (404) is said calmly, anything else is an error.
 */
export function PanelError({ error, what }: { error: unknown; what: string }) {
  if (error instanceof ApiError && error.isNotFound) {
    return (
      <Alert tone="info" title={`${what} is not available yet`}>
        This server does not provide it yet; it will appear here once it does.
      </Alert>
    );
  }
  return (
    <Alert tone="error" title={`Could not load ${what.toLowerCase()}`}>
      {errorMessage(error)}
    </Alert>
  );
}
