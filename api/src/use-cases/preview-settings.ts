import type { ServicePreviews } from '@dangus/common';
import type { EntityManager } from 'typeorm';
import type { Service } from '../db/entities/index.js';
import { closeOpenPreviews } from '../db/previews-repo.js';

/**
 * A change of a service's preview settings (`PATCH /api/services/:id` with `previews`), inside
 * the update's transaction, the service row locked: the columns to store. Turning previews
 * off closes every open preview of the service, so the same commit prunes their objects.
 */
export async function changePreviewSettings(
  manager: EntityManager,
  locked: Service,
  previews: Partial<ServicePreviews>,
): Promise<Pick<Service, 'previewsEnabled' | 'previewsMax' | 'previewsTtlDays' | 'previewsSeedKeys'>> {
  const columns = {
    previewsEnabled: previews.enabled ?? locked.previewsEnabled,
    previewsMax: previews.max ?? locked.previewsMax,
    previewsTtlDays: previews.ttlDays ?? locked.previewsTtlDays,
    previewsSeedKeys: previews.seedKeys ?? locked.previewsSeedKeys,
  };
  if (locked.previewsEnabled && !columns.previewsEnabled) await closeOpenPreviews(manager, locked.id, 'previews were turned off for the service');
  return columns;
}

/** The seeded keys (`previews.seedKeys`) the service has no env var of: names only, for whoever reads the service. */
export async function missingSeedKeys(manager: EntityManager, service: Pick<Service, 'id' | 'previewsSeedKeys'>): Promise<string[]> {
  if (service.previewsSeedKeys.length === 0) return [];
  const rows = await manager.query<{ key: string }[]>(`SELECT key FROM env_vars WHERE service_id = $1 AND key = ANY($2)`, [service.id, service.previewsSeedKeys]);
  const present = new Set(rows.map((row) => row.key));
  return service.previewsSeedKeys.filter((key) => !present.has(key));
}
