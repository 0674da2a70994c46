/**
 * Previews of pull requests (issue 35, docs/architecture.md#previews): what the api answers
 * about them. The settings of a service's previews are part of its one schema (service.ts).
 */
import { z } from 'zod';

/**
 * `awaiting_approval`: a fork's push (or an author without write access) waits for a
 * maintainer; `pending` → `building` → `live` | `failed`; `refused`: over the service's cap;
 * `closed`: the pull request closed (or it was torn down); `expired`: its time-to-live passed.
 */
export const PREVIEW_STATES = ['awaiting_approval', 'pending', 'building', 'live', 'failed', 'refused', 'closed', 'expired'] as const;
export const previewStateSchema = z.enum(PREVIEW_STATES);
export type PreviewState = z.infer<typeof previewStateSchema>;
/** The states that hold a place under the cap and objects in the cluster. */
export const ACTIVE_PREVIEW_STATES: readonly PreviewState[] = ['pending', 'building', 'live', 'failed'];
/** The label a maintainer adds to a pull request to approve its current head commit. */
export const PREVIEW_APPROVAL_LABEL = 'dangus-preview';

export const previewDtoSchema = z.strictObject({
  id: z.uuid(),
  serviceId: z.uuid(),
  /** The pull request's number. */
  number: z.number().int().positive(),
  title: z.string(),
  state: previewStateSchema,
  /** Why it is in its state, in plain words (refused, waiting, failed). */
  reason: z.string().nullable(),
  headSha: z.string(),
  headRef: z.string(),
  /** `owner/name` of the head repository; null when it was deleted. */
  headRepo: z.string().nullable(),
  /** Its head is in another repository (a fork): each push needs a maintainer's approval. */
  fork: z.boolean(),
  author: z.string(),
  /** Who approved the head commit, when it needed and has an approval. */
  approvedBy: z.string().nullable(),
  /** Whether the head commit waits for an approval ("Approve" in the UI). */
  needsApproval: z.boolean(),
  /** Its own address, one label under the wildcard. */
  url: z.string(),
  lastPushAt: z.iso.datetime({ offset: true }),
  /** When its time-to-live ends (null once it is closed). */
  expiresAt: z.iso.datetime({ offset: true }).nullable(),
  createdAt: z.iso.datetime({ offset: true }),
  closedAt: z.iso.datetime({ offset: true }).nullable(),
});
export type PreviewDto = z.infer<typeof previewDtoSchema>;

/** `GET …/previews/:number/log`: the log of the preview's last build, redacted as a deployment's. */
export const previewLogDtoSchema = z.strictObject({
  number: z.number().int().positive(),
  /** The commit the log is of. */
  headSha: z.string(),
  /** Where `log` starts: the `from` asked (0 by default), in characters of the whole log. */
  from: z.number().int().nonnegative(),
  /** The log as stored so far, from `from` on (the platform keeps the first 2,000,000 characters). */
  log: z.string(),
  /** Characters stored in all: the next `from` of a client that follows the log. */
  length: z.number().int().nonnegative(),
  /** The build ended (or was superseded or torn down): nothing more comes. */
  complete: z.boolean(),
  startedAt: z.iso.datetime({ offset: true }),
});
export type PreviewLogDto = z.infer<typeof previewLogDtoSchema>;

/** `GET …/previews/:number/log?from=N`: only what lies beyond the first N characters (a client following the log). */
export const previewLogQuerySchema = z.strictObject({
  from: z.coerce.number({ error: 'A character offset: a whole number from 0.' }).int({ error: 'A character offset: a whole number from 0.' }).min(0, { error: 'A character offset: a whole number from 0.' }).max(10_000_000, { error: 'A character offset: logs are shorter.' }).optional(),
});

/** `POST …/previews/:number/approve`: the head commit the maintainer saw; 409 when the pull request's head moved since. */
export const approvePreviewSchema = z.strictObject({
  headSha: z.string().regex(/^[0-9a-f]{40}$/, 'The 40-character lowercase hex SHA of the head commit you approve.'),
});
export type ApprovePreviewInput = z.infer<typeof approvePreviewSchema>;
