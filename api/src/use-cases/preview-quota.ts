/**
 * Previews in the project's quota (issue 35): a preview about to take a place (a build
 * of a pull request that had none running) must fit the project's quota beside its
 * services and its other previews, one replica of the LimitRange's default pod each
 * (capacity.ts). One that does not is `refused` with what is short, like one over the
 * cap: no objects, nothing half-made; its next push tries again.
 */
import { ACTIVE_PREVIEW_STATES } from '@dangus/common';
import type { EntityManager } from 'typeorm';
import type { PreviewFields, PreviewRow } from '../db/previews-repo.js';
import { ConflictError } from '../errors.js';
import { checkQuota, type Capacity } from './capacity.js';

/** `fields`, or them `refused` with the reason when the preview would take a place the project's quota lacks. */
export async function previewWithinQuota(
  manager: EntityManager,
  capacity: Capacity,
  service: { id: string; projectId: string },
  existing: PreviewRow | null,
  fields: PreviewFields,
): Promise<PreviewFields> {
  if (fields.state !== 'pending') return fields;
  if (existing && existing.closedAt === null && ACTIVE_PREVIEW_STATES.includes(existing.state)) return fields;
  const [row] = await manager.query<{ replicas: number; size: string | null }[]>(`SELECT replicas, size FROM services WHERE id = $1`, [service.id]);
  if (!row) return fields;
  try {
    await checkQuota(manager, capacity, service.projectId, { serviceId: service.id, replicas: row.replicas, size: row.size }, 1);
    return fields;
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const short = error.message.replace(/^.*?update\): /, '').replace(/\.$/, '');
    return { ...fields, state: 'refused', reason: `the project's quota has no room for another preview (one pod of the default size): ${short}` };
  }
}
