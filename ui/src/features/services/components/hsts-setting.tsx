import type { ServiceDto } from '@dangus/common';
import { Alert } from '../../../components/ui';
import { errorMessage } from '../../../lib/api-error';
import { useUpdateService } from '../api/services';

/**
 * HSTS (issue 34): `Strict-Transport-Security` on the service's HTTPS hosts (its own, and
 * each custom domain with a certificate), a Traefik headers Middleware in the templates.
 * Saving is a commit, as every setting.
 */
export function HstsSetting({ service }: { service: ServiceDto }) {
  const update = useUpdateService(service.id);
  const https = service.publicUrl.startsWith('https://');
  return (
    <div className="space-y-2 text-sm">
      <label className="flex items-start gap-2">
        <input
          type="checkbox"
          className="mt-1"
          checked={service.hsts}
          disabled={update.isPending}
          onChange={(e) => update.mutate({ hsts: e.target.checked })}
        />
        <span>
          <span className="font-medium text-fg">HSTS</span>
          <span className="block text-muted">
            Browsers that visit this service over HTTPS use only HTTPS for it for a year (Strict-Transport-Security). Turning it off does not
            reach browsers that already saw it.
            {https ? '' : ' This platform serves the service over HTTP: the header is sent only on custom domains with a certificate.'}
          </span>
        </span>
      </label>
      {update.error ? <Alert tone="error" title="Not saved">{errorMessage(update.error)}</Alert> : null}
    </div>
  );
}
