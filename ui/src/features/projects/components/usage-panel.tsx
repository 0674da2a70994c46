import type { QuotaUsageDto } from '@dangus/common';
import { useQuery } from '@tanstack/react-query';
import { Section } from '../../../components/ui';
import { api } from '../../../lib/api-client';
import { queryKeys } from '../../../lib/query-keys';
import { NeedsCluster } from '../../cluster/needs-cluster';
import { useCluster } from '../../cluster/use-cluster';

const LABELS: Record<string, string> = {
  'requests.cpu': 'CPU reserved',
  'limits.cpu': 'CPU limit',
  'requests.memory': 'Memory reserved',
  'limits.memory': 'Memory limit',
  pods: 'Pods',
  persistentvolumeclaims: 'Volumes',
  'requests.storage': 'Storage',
};

/** The project's quota as the cluster counts it: used of hard, per resource. */
export function UsagePanel({ projectId }: { projectId: string }) {
  const cluster = useCluster();
  const usage = useQuery({
    enabled: cluster.connected,
    queryKey: [...queryKeys.project(projectId), 'usage'] as const,
    queryFn: () => api.get<QuotaUsageDto[]>(`/api/projects/${encodeURIComponent(projectId)}/usage`),
    refetchInterval: 15_000,
    retry: false,
  });
  if (!cluster.connected) {
    return (
      <Section id="usage" title="Usage" description="What the project's pods use of its quota, as the cluster counts it.">
        <NeedsCluster what="Usage figures" />
      </Section>
    );
  }
  if (!usage.data || usage.data.length === 0) return null;
  return (
    <Section id="usage" title="Usage" description="What the project's pods use of its quota, as the cluster counts it.">
      <dl className="grid grid-cols-2 gap-x-6 gap-y-2 text-sm sm:grid-cols-4" aria-label="Quota usage">
        {usage.data.map((u) => (
          <div key={u.resource}>
            <dt className="text-muted">{LABELS[u.resource] ?? u.resource}</dt>
            <dd className="font-mono text-fg">
              {u.used} / {u.hard}
            </dd>
          </div>
        ))}
      </dl>
    </Section>
  );
}
