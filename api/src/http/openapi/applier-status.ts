/**
 * `GET /api/system/applier`'s answer: the applier's `ApplierStatus` (a type of the applier
 * workspace), described field by field. `satisfies` makes a field added to or removed from
 * `ApplierStatus` a compile error here until it is described.
 */
import type { ApplierStatus } from '@dangus/applier';
import { z } from 'zod';

const objectRef = z.object({
  group: z.string().describe('API group, `` for the core group.'),
  apiVersion: z.string(),
  kind: z.string(),
  namespace: z.string().describe('`` for cluster-scoped objects.'),
  name: z.string(),
});
const objectError = z.object({ ref: objectRef, message: z.string() });

const shape = {
  appliedCommit: z.string().nullable().describe('The last commit applied in full (every object applied, pruning done).'),
  appliedAt: z.string().nullable().describe('When that sync finished (ISO 8601).'),
  headCommit: z.string().nullable().describe('The head of the branch at the last attempt.'),
  lastAttemptAt: z.string().nullable(),
  lastError: z.string().nullable().describe('Why the last sync failed as a whole (invalid commit, unreachable apiserver), else null.'),
  errors: z.array(objectError).describe('Per-object errors of the last sync.'),
  objects: z
    .array(z.object({ ref: objectRef, health: z.object({ status: z.enum(['Current', 'InProgress', 'Failed', 'NotFound', 'Unknown']), message: z.string() }) }))
    .describe('Every object of the applied commit, with its health as last seen.'),
  lastSync: z
    .object({
      commit: z.string().nullable(),
      applied: z.number().int(),
      unchanged: z.number().int(),
      pruned: z.number().int(),
      jobsNotRecreated: z.number().int(),
      writes: z.number().int(),
      errors: z.array(objectError),
      durationMs: z.number(),
    })
    .nullable(),
  nextSyncAt: z.string().nullable().describe('When the next sync is due (ISO 8601), while started.'),
} satisfies Record<keyof ApplierStatus, z.ZodType>;

export const applierStatusSchema = z.object(shape);
