import type { ServiceSummaryDto } from '@dangus/common';
import { CopyField, Section } from '../../../components/ui';

/**
 * How the services of a project reach each other inside the cluster:
 * `http://{service}:{port}`, the Kubernetes Service in the same namespace.
 */
export function DiscoveryPanel({ services, namespace }: { services: ServiceSummaryDto[]; namespace: string }) {
  return (
    <Section
      id="discovery"
      title="Service discovery"
      description={
        <>
          Inside namespace <code className="font-mono text-fg">{namespace}</code>, services call each other by
          name.
        </>
      }
    >
      {services.length === 0 ? (
        <p className="text-sm text-muted">Internal addresses appear here once the project has services.</p>
      ) : (
        <dl className="space-y-3">
          {[...services]
            .sort((a, b) => a.name.localeCompare(b.name))
            .map((service) => (
              <div key={service.id} className="space-y-1">
                <dt className="text-sm font-medium text-fg">{service.name}</dt>
                <dd>
                  <CopyField value={service.internalAddress} label={`internal address of ${service.name}`} />
                </dd>
              </div>
            ))}
        </dl>
      )}
    </Section>
  );
}
