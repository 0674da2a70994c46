/**
 * What the api answers, as zod schemas: each DTO type is inferred from its schema, and
 * the api's OpenAPI document (`GET /api/openapi.json`) is generated from the same
 * schemas, so the type, the answer and the document cannot differ.
 */
import { z } from 'zod';
import { deploymentStatusSchema } from './schemas.js';
import { serviceRuntimeSchema } from './service.js';
import { teamRoleSchema } from './teams.js';

const timestamp = z.iso.datetime({ offset: true });

/** The one JSON shape of every error the API sends. */
export const errorBodySchema = z.strictObject({
  error: z.strictObject({
    code: z.string().describe('Stable and machine-readable: `validation_failed`, `not_found`, `conflict`, `limit_reached`, …'),
    message: z.string().describe('One sentence for a person: what went wrong and what to do.'),
    fields: z
      .record(z.string(), z.array(z.string()))
      .optional()
      .describe('Per-field messages, keyed by the field\'s path (`repoUrl`, `env.0.key`).'),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

export const userRoleSchema = z.enum(['admin', 'member']);
export type UserRole = z.infer<typeof userRoleSchema>;

/** The platform's cluster, as every page's banner reads it (`GET /auth/me`). */
export const clusterStatusDtoSchema = z.strictObject({
  connected: z.boolean(),
  reason: z.string().nullable().describe('Why there is none and what to do, when not connected.'),
});
export type ClusterStatusDto = z.infer<typeof clusterStatusDtoSchema>;

export const userDtoSchema = z.strictObject({
  id: z.uuid(),
  githubUsername: z.string(),
  hash: z.string().describe('The user\'s hash: the first part of every namespace and subdomain of theirs.'),
  role: userRoleSchema,
  cluster: clusterStatusDtoSchema.describe('Whether this platform reaches a Kubernetes cluster: without one nothing builds or runs.'),
});
export type UserDto = z.infer<typeof userDtoSchema>;

/** A user as an admin sees them on the Users page. */
export const adminUserDtoSchema = z.strictObject({
  id: z.uuid(),
  githubUsername: z.string(),
  avatarUrl: z.string().nullable(),
  role: userRoleSchema,
  status: z.enum(['active', 'blocked']),
  lastSignInAt: timestamp.nullable(),
  createdAt: timestamp,
  projects: z.number().int(),
  githubId: z.string().describe('The GitHub account\'s numeric id: `id:{githubId}` names it in the settings, whatever its login.'),
  pinnedLogins: z
    .array(z.string())
    .describe('Logins of ADMIN_GITHUB_USERS / ALLOWED_GITHUB_USERS pinned to this account (the first to sign in with them).'),
});
export type AdminUserDto = z.infer<typeof adminUserDtoSchema>;

/** Someone the sign-in policy did not let in, waiting for an admin. */
export const accessRequestDtoSchema = z.strictObject({
  id: z.uuid(),
  login: z.string(),
  avatarUrl: z.string().nullable(),
  requestedAt: timestamp,
});
export type AccessRequestDto = z.infer<typeof accessRequestDtoSchema>;

/** The limits per user, shown on the Users page (0: no limit). */
export const userLimitsDtoSchema = z.strictObject({
  projectsPerUser: z.number().int(),
  servicesPerProject: z.number().int(),
  envVarsPerService: z.number().int(),
  envBytesPerService: z.number().int(),
  streamsPerUser: z.number().int(),
  historyRequestsPerUser: z
    .number()
    .int()
    .describe('History requests (they run git) a user may have under way at once, per api process.'),
  exemptAdmins: z.boolean(),
  teamsPerUser: z.number().int().describe('Teams a person may create (admins are exempt).'),
  projectsPerTeam: z.number().int().describe('Projects a team may have, whoever of its members makes them.'),
  servicesPerTeam: z.number().int().describe('Services across all of a team\'s projects.'),
});
export type UserLimitsDto = z.infer<typeof userLimitsDtoSchema>;

export const deploymentSummaryDtoSchema = z.strictObject({
  id: z.uuid(),
  commitSha: z.string(),
  status: deploymentStatusSchema,
  createdAt: timestamp,
});
export type DeploymentSummaryDto = z.infer<typeof deploymentSummaryDtoSchema>;

export const serviceSummaryDtoSchema = z.strictObject({
  id: z.uuid(),
  name: z.string(),
  port: z.number().int(),
  status: deploymentStatusSchema.nullable(),
  internalAddress: z.string(),
  publicUrl: z.string(),
  lastDeployment: deploymentSummaryDtoSchema.nullable(),
});
export type ServiceSummaryDto = z.infer<typeof serviceSummaryDtoSchema>;

export const projectDtoSchema = z.strictObject({
  id: z.uuid(),
  name: z.string(),
  namespace: z.string().describe('`{user hash}-{name}`: the Kubernetes namespace of its services.'),
  createdAt: timestamp,
  serviceCount: z.number().int(),
});
export type ProjectDto = z.infer<typeof projectDtoSchema>;

export const projectDetailDtoSchema = projectDtoSchema.extend({
  services: z.array(serviceSummaryDtoSchema),
  /** Your role on it (issue 36): `owner` of your own projects; a team project's, yours there. */
  role: teamRoleSchema.optional(),
});
export type ProjectDetailDto = z.infer<typeof projectDetailDtoSchema>;

export type { ActionAbilityDto, ServiceAbilitiesDto, ServiceDto, TenantFailureDto } from './service.js';

export const envVarDtoSchema = z.strictObject({
  id: z.uuid(),
  key: z.string(),
  value: z.string().describe('Always masked in lists; the value is only ever written, never read back in a list.'),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type EnvVarDto = z.infer<typeof envVarDtoSchema>;

/**
 * What pasting a `.env` file does to a service's variables, by key (never a value):
 * `added` are new, `changed` get a new value, `unchanged` already have that value, and
 * `kept` are the service's other variables, which an import leaves as they are.
 */
export const envImportDtoSchema = z.strictObject({
  added: z.array(z.string()),
  changed: z.array(z.string()),
  unchanged: z.array(z.string()),
  kept: z.array(z.string()),
  applied: z.boolean().describe('Whether the import was applied (false for a preview, or when nothing changes).'),
  deploymentId: z.uuid().nullable().describe('The rollout the applied change started; null when nothing was built yet or nothing changed.'),
});
export type EnvImportDto = z.infer<typeof envImportDtoSchema>;

/** One variable's value, shown to its owner on demand (and recorded in the service's activity). */
export const envValueDtoSchema = z.strictObject({
  id: z.uuid(),
  key: z.string(),
  value: z.string(),
});
export type EnvValueDto = z.infer<typeof envValueDtoSchema>;

/**
 * What was done to a service outside its infrastructure history (the state repo's commits):
 * `env.reveal` is an env value shown to its owner (`subject`: the variable's key);
 * `certificate.failed` a certificate that fails to renew; `repository.unbound` the platform
 * cleared the repository binding (nobody who may change the service shows GitHub they read
 * it); `repository.reproven` another member's GitHub access proved it again (`subject`: why).
 */
export const serviceActivityDtoSchema = z.strictObject({
  /** Increasing: a newer entry has a larger id (a bigint, as a string). */
  id: z.string().regex(/^[1-9][0-9]*$/),
  action: z.enum(['env.reveal', 'certificate.failed', 'repository.unbound', 'repository.reproven']),
  subject: z.string(),
  actor: z.string().describe('The GitHub login of who did it.'),
  createdAt: timestamp,
});
export type ServiceActivityDto = z.infer<typeof serviceActivityDtoSchema>;

/** What made a deployment: a webhook push, the deploy button, an env or settings change (no build), or a rollback. */
export const deploymentTriggerSchema = z.enum(['push', 'manual', 'config', 'rollback']);
export type DeploymentTrigger = z.infer<typeof deploymentTriggerSchema>;

export const deploymentDtoSchema = deploymentSummaryDtoSchema.extend({
  serviceId: z.uuid(),
  commitMessage: z.string().nullable(),
  trigger: deploymentTriggerSchema,
  imageTag: z.string().nullable(),
  imageDigest: z
    .string()
    .nullable()
    .describe('`sha256:…` of the image the build pushed (the Deployment runs the image by this digest).'),
  reason: z.string().nullable(),
  updatedAt: timestamp,
  finishedAt: timestamp.nullable(),
  rollbackOf: z.uuid().nullable().describe('For a rollback: the release it restored.'),
  restorable: z
    .boolean()
    .describe('A release that went live and can be rolled back to (its image and configuration are kept).'),
  imageDeleted: z.boolean().describe('Retention deleted its image from the registry.'),
  buildLogs: z.string().optional().describe('The build log, in `GET /api/deployments/{deploymentId}` only.'),
});
export type DeploymentDto = z.infer<typeof deploymentDtoSchema>;

const runtimeValue = z.union([z.number(), z.string(), z.boolean(), z.null()]);

/** What a rollback would change, against what runs now (env values are never shown, only keys). */
export const rollbackPreviewDtoSchema = z.strictObject({
  deploymentId: z.uuid(),
  restorable: z.boolean(),
  reason: z.string().nullable().describe('Why not, when it is not.'),
  image: z.strictObject({ from: z.string().nullable(), to: z.string().nullable() }),
  commit: z.strictObject({ from: z.string().nullable(), to: z.string() }),
  config: z.array(z.strictObject({ field: serviceRuntimeSchema.keyof(), from: runtimeValue, to: runtimeValue })),
  env: z.strictObject({ added: z.array(z.string()), removed: z.array(z.string()), changed: z.array(z.string()) }),
});
export type RollbackPreviewDto = z.infer<typeof rollbackPreviewDtoSchema>;

/** One GitHub webhook delivery and how the platform answered it. */
export const webhookDeliveryDtoSchema = z.strictObject({
  id: z.uuid(),
  deliveryId: z.string().describe('GitHub\'s X-GitHub-Delivery.'),
  event: z.string().describe('GitHub\'s X-GitHub-Event.'),
  outcome: z.enum(['deployed', 'skipped', 'ignored', 'ping', 'rejected']),
  reason: z.string().nullable(),
  statusCode: z.number().int(),
  deploymentId: z.uuid().nullable(),
  viaApp: z.boolean().describe('Came through the GitHub App\'s webhook: GitHub can send it again ("Redeliver").'),
  receivedAt: timestamp,
});
export type WebhookDeliveryDto = z.infer<typeof webhookDeliveryDtoSchema>;

const gitSignature = z.strictObject({ name: z.string(), email: z.string(), date: z.string() });

/** One state-repo commit of a service's infrastructure history. */
export const historyCommitDtoSchema = z.strictObject({
  sha: z.string(),
  subject: z.string(),
  author: gitSignature,
  committer: gitSignature,
  actor: z.string().nullable().describe('From the commit\'s `Dangus-*` trailers.'),
  deploymentId: z.string().nullable(),
  sourceCommit: z.string().nullable(),
  files: z
    .array(z.strictObject({ path: z.string(), added: z.number().int(), removed: z.number().int() }))
    .describe('The service\'s and its tenant\'s files it changed, with line counts.'),
});
export type HistoryCommitDto = z.infer<typeof historyCommitDtoSchema>;

export const historyPageDtoSchema = z.strictObject({
  commits: z.array(historyCommitDtoSchema),
  nextCursor: z.string().nullable().describe('Pass as `?cursor=` for the next page; null at the end.'),
});
export type HistoryPageDto = z.infer<typeof historyPageDtoSchema>;

export const historyDiffDtoSchema = historyCommitDtoSchema.extend({
  diff: z.string().describe('Unified diff of the commit, restricted to the service\'s and its tenant\'s files.'),
});
export type HistoryDiffDto = z.infer<typeof historyDiffDtoSchema>;

/** A size a service can have: CPU and memory of each pod (requests = limits). */
export const serviceSizeDtoSchema = z.strictObject({
  name: z.string(),
  cpu: z.string(),
  memory: z.string(),
});
export type ServiceSizeDto = z.infer<typeof serviceSizeDtoSchema>;

/** One Kubernetes Event of a service (`GET /api/services/{serviceId}/events`). */
export const serviceEventDtoSchema = z.strictObject({
  type: z.enum(['Normal', 'Warning']),
  reason: z.string(),
  object: z.string().describe('`Kind/name` of the object it is about.'),
  message: z.string(),
  summary: z.string().nullable().describe('What it means, in plain words, when the reason is one the platform knows.'),
  count: z.number().int(),
  firstSeen: z.string().nullable(),
  lastSeen: z.string().nullable(),
});
export type ServiceEventDto = z.infer<typeof serviceEventDtoSchema>;

/** One resource of a project's quota, as the cluster counts it (`GET /api/projects/{projectId}/usage`). */
export const quotaUsageDtoSchema = z.strictObject({
  resource: z.string().describe('`requests.cpu`, `limits.memory`, `pods`, `requests.storage`, …'),
  used: z.string(),
  hard: z.string(),
});
export type QuotaUsageDto = z.infer<typeof quotaUsageDtoSchema>;

/** One pod's figures in one sample. */
export const podMetricsDtoSchema = z.strictObject({
  pod: z.string(),
  cpuMillicores: z.number().describe('CPU in use, in millicores (fractional).'),
  memoryBytes: z.number().describe('Memory in use (the working set), in bytes.'),
});
export type PodMetricsDto = z.infer<typeof podMetricsDtoSchema>;

/** A service's CPU and memory over the last hour (`GET /api/services/{serviceId}/metrics`). */
export const serviceMetricsDtoSchema = z.strictObject({
  available: z.boolean().describe('Whether the cluster serves the metrics API (metrics.k8s.io).'),
  reason: z.string().nullable().describe('Why there are no figures, in plain words, when not available.'),
  intervalSeconds: z.number().describe('Seconds between samples.'),
  limits: z
    .strictObject({ cpuMillicores: z.number(), memoryBytes: z.number() })
    .describe('Each pod\'s limits (its size, or the namespace\'s defaults): drawn on the charts.'),
  samples: z
    .array(z.strictObject({ at: timestamp, pods: z.array(podMetricsDtoSchema) }))
    .describe('Oldest first; one per sampling, for the pods of the service that had figures then.'),
});
export type ServiceMetricsDto = z.infer<typeof serviceMetricsDtoSchema>;

/** A Dockerfile found in a repository, with the context and watch paths suggested for a service built from it. */
export const dockerfileSuggestionDtoSchema = z.strictObject({
  path: z.string().describe('From the repository root.'),
  contextDir: z.string(),
  dockerfilePath: z.string().describe('Relative to `contextDir`.'),
  watchPaths: z.array(z.string()),
});
export type DockerfileSuggestionDto = z.infer<typeof dockerfileSuggestionDtoSchema>;

/** `GET /api/repository/dockerfiles`: the Dockerfiles of a branch's head (Git trees API). */
export const repositoryDockerfilesDtoSchema = z.strictObject({
  commitSha: z.string(),
  dockerfiles: z.array(dockerfileSuggestionDtoSchema),
  rootFiles: z.array(z.string()).describe('Lockfiles and workspace files at the root, worth adding to a service\'s watch paths.'),
  truncated: z.boolean().describe('GitHub listed only part of a very large repository.'),
});
export type RepositoryDockerfilesDto = z.infer<typeof repositoryDockerfilesDtoSchema>;

/** `GET /api/repository/watched-files`: which files of a branch's head a list of watch paths selects. */
export const watchedFilesDtoSchema = z.strictObject({
  commitSha: z.string(),
  watchPaths: z.array(z.string()).describe('The patterns as they will be stored (split on commas, trimmed).'),
  fileCount: z.number().int(),
  matchedCount: z.number().int(),
  matched: z.array(z.string()).describe('The first matching files (at most 200), in the tree\'s order.'),
  truncated: z.boolean(),
});
export type WatchedFilesDto = z.infer<typeof watchedFilesDtoSchema>;
