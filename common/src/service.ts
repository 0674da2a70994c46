/**
 * A service's shape, declared once. Everything that carries a service's configuration is
 * inferred from these schemas: the create and update bodies the api accepts, the DTO it
 * answers (`ServiceDto`), the renderer's input (`ServiceInput` in gitops-writer), the rows
 * the tenant loader reads and the configuration a release records. A new field is a
 * change here (in the group it belongs to), to the entity and migration, and to the
 * templates that use it.
 */
import { z } from 'zod';
import {
  branchSchema,
  contextDirSchema,
  dockerfilePathSchema,
  healthCheckPathSchema,
  portSchema,
  replicasSchema,
  repoUrlSchema,
  serviceNameSchema,
  deploymentStatusSchema,
  envKeySchema,
  sizeNameSchema,
  storageGbSchema,
  watchPathsSchema,
} from './schemas.js';

/**
 * What the next build reads: a change takes effect at the next push or deploy. The
 * Dockerfile path is relative to the context directory (as `docker build` reads it in a
 * folder); watch paths decide which pushes build (none: every push).
 */
export const serviceSourceSchema = z.strictObject({
  repoUrl: repoUrlSchema,
  branch: branchSchema,
  contextDir: contextDirSchema,
  dockerfilePath: dockerfilePathSchema,
  watchPaths: watchPathsSchema,
});

/**
 * What the running release depends on: a change rolls out as a release of its own (no
 * build), each release records these values and a rollback restores them.
 */
export const serviceRuntimeSchema = z.strictObject({
  port: portSchema,
  storageGb: storageGbSchema,
  healthCheckPath: healthCheckPathSchema,
  replicas: replicasSchema,
  size: sizeNameSchema,
  /**
   * HSTS (`Strict-Transport-Security`) on the service's TLS hosts: browsers then use only
   * HTTPS for a year. Off by default (turning it off does not reach browsers that saw it).
   */
  hsts: z.boolean({ error: 'HSTS is true or false.' }),
});

/** A service's whole configuration, without defaults: its name, its source and its runtime. */
export const serviceConfigSchema = z.strictObject({
  name: serviceNameSchema,
  ...serviceSourceSchema.shape,
  ...serviceRuntimeSchema.shape,
});
export type ServiceConfig = z.infer<typeof serviceConfigSchema>;
export type ServiceRuntime = z.infer<typeof serviceRuntimeSchema>;
export type ServiceConfigField = keyof ServiceConfig;
export type ServiceRuntimeField = keyof ServiceRuntime;

/** Every field of a service's configuration, in the schema's order. */
export const SERVICE_CONFIG_FIELDS: readonly ServiceConfigField[] = serviceConfigSchema.keyof().options;
/** The fields a release records and a rollback restores. */
export const SERVICE_RUNTIME_FIELDS: readonly ServiceRuntimeField[] = serviceRuntimeSchema.keyof().options;

/** `{ field: true }` for each field: a zod `.pick()` / `.omit()` mask. */
function maskOf<K extends string>(fields: readonly K[]): Record<K, true> {
  return Object.fromEntries(fields.map((field) => [field, true])) as Record<K, true>;
}

/** The configuration fields of `source` (an entity, a row, a DTO), and nothing else. */
export function pickFields<T extends object, K extends keyof T>(source: T, fields: readonly K[]): Pick<T, K> {
  return Object.fromEntries(fields.map((field) => [field, source[field]])) as Pick<T, K>;
}

export const createServiceSchema = serviceConfigSchema.extend({
  branch: branchSchema.default('main'),
  contextDir: contextDirSchema.default('.'),
  dockerfilePath: dockerfilePathSchema.default('Dockerfile'),
  watchPaths: watchPathsSchema.default([]),
  storageGb: storageGbSchema.default(null),
  healthCheckPath: healthCheckPathSchema.default(null),
  replicas: replicasSchema.default(1),
  size: sizeNameSchema.default(null),
  hsts: z.boolean({ error: 'HSTS is true or false.' }).default(false),
});
export type CreateServiceInput = z.infer<typeof createServiceSchema>;
/** A create body as sent: a field with a default may be left out. */
export type CreateServiceBody = z.input<typeof createServiceSchema>;

/**
 * Previews of pull requests (issue 35): off by default; at most `max` at once (a pull request
 * over it is refused, with a comment saying so) and each torn down `ttlDays` after its last
 * push (a closed or merged pull request at once). Not a runtime field: no release of the service.
 */
/** How many of the service's env keys a preview may be seeded from. */
export const PREVIEW_SEED_KEYS_MAX = 20;
export const servicePreviewsSchema = z.strictObject({
  enabled: z.boolean(),
  max: z.number({ error: 'A whole number from 1 to 10.' }).int('A whole number from 1 to 10.').min(1, 'At least 1.').max(10, 'At most 10.'),
  ttlDays: z.number({ error: 'A whole number of days from 1 to 30.' }).int('A whole number of days from 1 to 30.').min(1, 'At least 1 day.').max(30, 'At most 30 days.'),
  /**
   * The service's env keys whose values a preview's own env Secret gets, copied at each of its
   * builds (never for a fork's pull request unless a maintainer approved that head). A key the
   * service does not have is allowed, and reported as missing (`ServiceDto.previews.missingSeedKeys`).
   */
  seedKeys: z
    .array(envKeySchema, { error: 'A list of env var keys.' })
    .max(PREVIEW_SEED_KEYS_MAX, `At most ${String(PREVIEW_SEED_KEYS_MAX)} keys.`)
    .refine((keys) => new Set(keys).size === keys.length, 'Each key once.'),
});
export type ServicePreviews = z.infer<typeof servicePreviewsSchema>;
/** What a new service has: previews off, 3 at once, 7 days, no key seeded. */
export const DEFAULT_PREVIEWS: ServicePreviews = { enabled: false, max: 3, ttlDays: 7, seedKeys: [] };

/**
 * Only the fields given change (no defaults here: a PATCH of `port` must not
 * reset the branch). The name is the subdomain and the Service object: it cannot change.
 * `previews` changes only the settings it names.
 */
export const updateServiceSchema = serviceConfigSchema
  .omit({ name: true })
  .extend({ previews: servicePreviewsSchema.partial() })
  .partial()
  .refine((v) => Object.keys(v).length > 0, {
    error: 'Give at least one field to change.',
    // Only for an otherwise valid body: unknown keys already explain themselves.
    when: (payload) => payload.issues.length === 0,
  });
export type UpdateServiceInput = z.infer<typeof updateServiceSchema>;

/**
 * Why a project's changes do not reach the cluster (docs/architecture.md#failure-isolation):
 * the controller retries them with backoff, and at once when the project changes again.
 */
export const tenantFailureSchema = z.strictObject({
  projectId: z.uuid(),
  namespace: z.string(),
  /** A plain sentence: what was refused, and where. */
  message: z.string(),
  attempts: z.number().int(),
  since: z.iso.datetime({ offset: true }),
  lastAt: z.iso.datetime({ offset: true }),
});
export type TenantFailureDto = z.infer<typeof tenantFailureSchema>;

/**
 * A service as the api answers it (and the UI reads it): its whole configuration (replicas
 * are 1–10, 1 with a volume; size is one of GET /api/sizes, or null for the defaults) and
 * what the platform derives from it.
 */
/** Whether an action on a resource would be accepted now, and why not: the UI disables it with the reason. */
export const actionAbilitySchema = z.strictObject({
  ok: z.boolean(),
  /** A plain sentence saying why the api would refuse it and what to do, when not ok. */
  reason: z.string().nullable(),
});
export type ActionAbilityDto = z.infer<typeof actionAbilitySchema>;

/** What the owner can do with a service now, as the api would answer (`ServiceDto.can`). */
export const serviceAbilitiesSchema = z.strictObject({
  /** "Deploy now": needs a cluster, and a GitHub token unless the repository is public. */
  deploy: actionAbilitySchema,
  /** A rolling restart: needs a cluster and a running release. */
  restart: actionAbilitySchema,
  /** More than one replica: not with a volume. */
  scale: actionAbilitySchema,
  /** Runtime logs, events and usage: need a cluster (and, on a team project, developer or above). */
  observe: actionAbilitySchema,
  /** Settings, env vars, deleting, rollback: on a team project, maintainer or above (issue 36). Absent: allowed. */
  configure: actionAbilitySchema.optional(),
});
export type ServiceAbilitiesDto = z.infer<typeof serviceAbilitiesSchema>;

export const serviceDtoSchema = serviceConfigSchema.extend({
  id: z.uuid(),
  projectId: z.uuid(),
  /** `{user hash}-{name}`. */
  subdomain: z.string(),
  publicUrl: z.string(),
  /** `http://{name}:{port}`, from the project's other services. */
  internalAddress: z.string(),
  webhookUrl: z.string(),
  webhookSecret: z.string(),
  /** The GitHub App's webhook brings this service's pushes (nothing to paste; the webhook above is the fallback). */
  pushesViaApp: z.boolean(),
  status: deploymentStatusSchema.nullable(),
  /** Set while the project's changes cannot be committed (they wait, and are retried). */
  syncError: tenantFailureSchema.nullable(),
  /** The actions the api would refuse now, each with its reason. */
  can: serviceAbilitiesSchema,
  /**
   * Previews of pull requests: whether on, the cap, the time-to-live, the keys seeded, and
   * which of those the service has no value for (names only: never a value).
   */
  previews: servicePreviewsSchema.extend({ missingSeedKeys: z.array(z.string()) }),
  createdAt: z.iso.datetime({ offset: true }),
});
export type ServiceDto = z.infer<typeof serviceDtoSchema>;

/**
 * A release's recorded configuration as stored (`deployments.release_config`): the runtime
 * fields, a field a release predates taking the default a new service gets (releases
 * recorded before replicas and sizes existed run 1 replica of no size). Keys it no
 * longer knows are dropped.
 */
export const releaseConfigSchema = z.object(createServiceSchema.pick(maskOf(SERVICE_RUNTIME_FIELDS)).shape);
export type ReleaseConfig = z.infer<typeof releaseConfigSchema>;
/** What a stored release may hold: a field it predates is absent. */
export type StoredReleaseConfig = z.input<typeof releaseConfigSchema>;
