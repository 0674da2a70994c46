/**
 * The registry's push notifications (docs/architecture.md#builds, "the build's end"): what
 * `POST /webhooks/registry` accepts and answers. Two senders, two shapes, read as far as
 * the platform needs them (unknown fields are kept out, never refused: senders add fields):
 *
 * - the CNCF distribution registry's notifications endpoint: an envelope of events
 *   (`application/vnd.docker.distribution.events.v1+json` or `.v2+json`);
 * - Harbor's webhook (its default payload format) for an artifact push, `PUSH_ARTIFACT`.
 */
import { z } from 'zod';

/** An image digest as a registry reports it. */
export const imageDigestSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'a sha256 digest: sha256: and 64 hex digits');
/** A repository path of the OCI distribution grammar (no host), bounded. */
export const imageRepositoryPathSchema = z
  .string()
  .max(255)
  .regex(/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/, 'a repository path of the OCI grammar');
/** A tag of the OCI grammar. */
export const imageTagSchema = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/, 'a tag of the OCI grammar');

/** One event of distribution's envelope. Other actions (pull, mount, delete) and blob pushes carry no tag and are passed over. */
export const distributionEventSchema = z.object({
  id: z.string().min(1).max(200),
  timestamp: z.iso.datetime({ offset: true }),
  action: z.string().max(40),
  target: z.object({
    mediaType: z.string().max(200).optional(),
    digest: imageDigestSchema.optional(),
    repository: imageRepositoryPathSchema,
    tag: imageTagSchema.optional(),
  }),
});
export const distributionEnvelopeSchema = z.object({ events: z.array(distributionEventSchema).max(100) });

/** Harbor's webhook payload (default format) for an artifact push. */
export const harborPushSchema = z.object({
  type: z.string().max(60),
  occur_at: z.number().int().nonnegative(),
  event_data: z.object({
    resources: z
      .array(z.object({ digest: imageDigestSchema, tag: imageTagSchema.optional(), resource_url: z.string().max(600).optional() }))
      .max(100),
    repository: z.object({ repo_full_name: imageRepositoryPathSchema }),
  }),
});

/** A notification's body: distribution's envelope or Harbor's push. */
export const registryNotificationSchema = z.union([distributionEnvelopeSchema, harborPushSchema]);
export type RegistryNotification = z.infer<typeof registryNotificationSchema>;

/** How `POST /webhooks/registry` answers an authenticated notification. */
export const registryWebhookAnswerSchema = z.strictObject({
  /** Pushes of a tagged image the notification carried. */
  pushes: z.number().int(),
  /** Of those, pushes a build was waiting for: its rollout starts now. */
  matched: z.number().int(),
  /** Pushes seen before (a redelivery): nothing new happens. */
  duplicates: z.number().int(),
});
export type RegistryWebhookAnswerDto = z.infer<typeof registryWebhookAnswerSchema>;
