/**
 * The api's other answers (sign-in options, health, the System page, webhook deliveries),
 * as zod schemas with their types inferred, like the DTOs in dto.ts: the OpenAPI document
 * is generated from the same schemas.
 */
import { z } from 'zod';
import { deploymentStatusSchema } from './schemas.js';

const timestamp = z.iso.datetime({ offset: true });

/** `GET /auth/config`: which sign-ins this platform offers. */
export const authConfigDtoSchema = z.strictObject({
  github: z.boolean().describe('A GitHub OAuth app is configured: `GET /auth/github` signs in.'),
  local: z.boolean().describe('The local sign-in of the embedded default is offered: `POST /auth/local`.'),
  githubApp: z.boolean().describe('A GitHub App is connected: services are built and sent their pushes through it.'),
});
export type AuthConfigDto = z.infer<typeof authConfigDtoSchema>;

/** `POST /api/services/{serviceId}/restart`. */
export const restartDtoSchema = z.strictObject({
  restartedAt: timestamp.describe('The pod template\'s `dangus.cloud/restarted-at`: every pod is replaced, a rolling update.'),
});
export type RestartDto = z.infer<typeof restartDtoSchema>;

/** `/healthz` and `/readyz`. */
export const healthDtoSchema = z.strictObject({
  status: z.enum(['ok', 'ready', 'draining', 'unavailable']),
  reason: z.string().optional().describe('Why not ready, when not.'),
});
export type HealthDto = z.infer<typeof healthDtoSchema>;

/** The push of the state repo to STATE_REPO_REMOTE. */
export const pushStatusSchema = z.strictObject({
  remote: z.string().describe('The remote, without credentials.'),
  state: z.enum(['idle', 'pushing', 'ok', 'failing']),
  pushedCommit: z.string().nullable(),
  lastAttemptAt: timestamp.nullable(),
  lastSuccessAt: timestamp.nullable(),
  error: z.string().nullable().describe('The last failure, while failing.'),
  failures: z.number().int().describe('Consecutive failed attempts.'),
});
export type PushStatus = z.infer<typeof pushStatusSchema>;

/** `GET /api/system/state-repo`. */
export const stateRepoStatusDtoSchema = z.strictObject({
  head: z.string().nullable().describe('The commit at the head of the state repo\'s branch.'),
  remote: pushStatusSchema.nullable().describe('The push to STATE_REPO_REMOTE, or null when no remote is configured.'),
});
export type StateRepoStatusDto = z.infer<typeof stateRepoStatusDtoSchema>;

/** `GET /api/system/registry`: whether tenants have registry credentials of their own. */
export const registryStatusDtoSchema = z.strictObject({
  /** `none`: no registry is configured at all (a laptop): nothing to warn about. */
  mode: z.enum(['per-tenant', 'shared', 'none']),
  warning: z.string().nullable(),
});
export type RegistryStatusDto = z.infer<typeof registryStatusDtoSchema>;

/** How `POST /webhooks/github/{serviceId}` answers a signed delivery it accepted. */
export const webhookAnswerSchema = z.union([
  z.strictObject({
    outcome: z.literal('deployed'),
    reason: z.string(),
    deploymentId: z.uuid(),
    status: deploymentStatusSchema,
    commitSha: z.string(),
  }),
  z.strictObject({ outcome: z.enum(['ignored', 'ping']), reason: z.string() }),
]);
export type WebhookAnswerDto = z.infer<typeof webhookAnswerSchema>;

/** How `POST /webhooks/github` (the GitHub App's webhook) answers a signed delivery. */
export const appWebhookAnswerSchema = z.strictObject({
  outcome: z.enum(['applied', 'ignored']),
  reason: z.string(),
});
export type AppWebhookAnswerDto = z.infer<typeof appWebhookAnswerSchema>;
