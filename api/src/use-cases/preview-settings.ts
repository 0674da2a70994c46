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
): Promise<Pick<Service, 'previewsEnabled' | 'previewsMax' | 'previewsTtlDays'>> {
  const columns = {
    previewsEnabled: previews.enabled ?? locked.previewsEnabled,
    previewsMax: previews.max ?? locked.previewsMax,
    previewsTtlDays: previews.ttlDays ?? locked.previewsTtlDays,
  };
  if (locked.previewsEnabled && !columns.previewsEnabled) await closeOpenPreviews(manager, locked.id, 'previews were turned off for the service');
  return columns;
}
