import type { ServiceDto } from '@dangus/common';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Section } from '../../../components/ui';
import { api } from '../../../lib/api-client';
import { errorMessage } from '../../../lib/api-error';
import { queryKeys } from '../../../lib/query-keys';
import { useAuthConfig } from '../../auth/api/auth';

/** "Check access" (`POST /api/services/:id/repository-access`): GitHub is asked, with your own token, whether you can read the repository. */
function useCheckRepositoryAccess(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<ServiceDto>(`/api/services/${encodeURIComponent(id)}/repository-access`),
    onSuccess: (service) => client.setQueryData(queryKeys.service(id), service),
  });
}

/**
 * With a GitHub App connected, a service whose pushes do not arrive through it: the platform
 * builds it through the App only once a member has shown GitHub they can read its repository
 * (docs/architecture.md#github-app). "Check access" asks again.
 */
export function RepositoryAccessPanel({ service }: { service: ServiceDto }) {
  const config = useAuthConfig();
  const check = useCheckRepositoryAccess(service.id);
  if (service.pushesViaApp && !check.isSuccess) return null;
  if (config.data?.githubApp !== true) return null;
  return (
    <Section
      id="repository-access"
      title="Repository access"
      description="The GitHub App builds this service, and sends it its pushes and pull requests, once GitHub shows that you can read its repository."
      actions={
        <Button onClick={() => check.mutate()} loading={check.isPending}>
          Check access
        </Button>
      }
    >
      {check.error ? (
        <Alert tone="error" title="Not checked">
          {errorMessage(check.error)}
        </Alert>
      ) : check.isSuccess ? (
        <Alert tone="info" title={check.data.pushesViaApp ? 'Access checked' : 'Checked'}>
          {check.data.pushesViaApp ? 'Pushes to this repository now arrive through the GitHub App.' : (check.data.can.deploy.reason ?? 'GitHub shows that you can read the repository.')}
        </Alert>
      ) : (
        <p className="text-sm text-muted">{service.can.deploy.reason ?? 'Pushes do not arrive through the GitHub App yet.'}</p>
      )}
    </Section>
  );
}
