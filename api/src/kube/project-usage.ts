/** A project's quota as the cluster counts it: used and hard, from its ResourceQuota's status. */
import type { QuotaUsageDto } from '@dangus/common';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';

export type QuotaUsage = QuotaUsageDto;

/** The quota the platform renders into every tenant namespace (templates/namespace.yaml). */
export const TENANT_QUOTA = 'tenant-quota';

export class ProjectUsage {
  private readonly core: CoreV1Api;

  constructor(kube: KubeConfig) {
    this.core = kube.makeApiClient(CoreV1Api);
  }

  /** Used and hard per resource; empty while the namespace or its quota does not exist yet. */
  async of(namespace: string): Promise<QuotaUsage[]> {
    try {
      const quota = await this.core.readNamespacedResourceQuota({ namespace, name: TENANT_QUOTA });
      const hard = quota.status?.hard ?? quota.spec?.hard ?? {};
      const used = quota.status?.used ?? {};
      return Object.keys(hard)
        .sort()
        .map((resource) => ({ resource, used: used[resource] ?? '0', hard: hard[resource] ?? '' }));
    } catch (error) {
      if ((error as { code?: number }).code === 404) return [];
      throw error;
    }
  }
}
