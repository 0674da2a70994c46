import { EntitySchema, type EntitySchemaColumnOptions } from 'typeorm';
import type { DeploymentStatus, ServiceConfig, StoredReleaseConfig } from '@dangus/common';

/*
 * Entities are declared as EntitySchema (plain data, no decorators): no
 * reflect-metadata, and no import cycles between entity files under ESM.
 * Columns mirror the migrations in ../migrations, which own the schema
 * (`synchronize` is never used).
 */

const timestamps = {
  createdAt: { name: 'created_at', type: 'timestamptz', createDate: true },
} as const;

export interface User {
  id: string;
  githubId: string;
  githubUsername: string;
  /** Encrypted (crypto/encryption.ts). */
  githubAccessToken: string;
  hash: string;
  role: 'admin' | 'member';
  /** A blocked user has no session and their services' webhooks are refused. */
  status: 'active' | 'blocked';
  /** Let in by an admin (or the first user), whatever the allow settings say. */
  approved: boolean;
  avatarUrl: string | null;
  lastSignInAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const UserEntity = new EntitySchema<User>({
  name: 'User',
  tableName: 'users',
  columns: {
    id: { type: 'uuid', primary: true, generated: 'uuid' },
    githubId: { name: 'github_id', type: 'bigint', unique: true },
    githubUsername: { name: 'github_username', type: 'varchar', length: 255 },
    githubAccessToken: { name: 'github_access_token', type: 'text' },
    hash: { type: 'varchar', length: 6, unique: true },
    role: { type: 'varchar', length: 10, default: 'member' },
    status: { type: 'varchar', length: 10, default: 'active' },
    approved: { type: 'boolean', default: false },
    avatarUrl: { name: 'avatar_url', type: 'text', nullable: true },
    lastSignInAt: { name: 'last_sign_in_at', type: 'timestamptz', nullable: true },
    ...timestamps,
    updatedAt: { name: 'updated_at', type: 'timestamptz', updateDate: true },
  },
});

export interface Session {
  id: string;
  userId: string;
  /** HMAC of the cookie's token: a leaked table does not give usable cookies. */
  tokenHash: string;
  createdAt: Date;
  expiresAt: Date;
}

export const SessionEntity = new EntitySchema<Session>({
  name: 'Session',
  tableName: 'sessions',
  columns: {
    id: { type: 'uuid', primary: true, generated: 'uuid' },
    userId: { name: 'user_id', type: 'uuid' },
    tokenHash: { name: 'token_hash', type: 'char', length: 64, unique: true },
    ...timestamps,
    expiresAt: { name: 'expires_at', type: 'timestamptz' },
  },
});

export interface Project {
  id: string;
  userId: string;
  name: string;
  /** `{hash}-{name}` of the owner that created it, pinned for life: a move keeps it (migration 1765482000000). */
  namespace: string;
  createdAt: Date;
}

export const ProjectEntity = new EntitySchema<Project>({
  name: 'Project',
  tableName: 'projects',
  columns: {
    id: { type: 'uuid', primary: true, generated: 'uuid' },
    userId: { name: 'user_id', type: 'uuid' },
    name: { type: 'varchar', length: 63 },
    namespace: { type: 'varchar', length: 63 },
    ...timestamps,
  },
});

/** A service's row: its configuration (`serviceConfigSchema` of `@dangus/common`) and the platform's own columns. */
export interface Service extends ServiceConfig {
  id: string;
  projectId: string;
  /** The owner, denormalised: every query of a user's services is scoped by it. */
  userId: string;
  /**
   * The public host label (`{host}.{BASE_DOMAIN}`), unique, fixed at creation
   * (`serviceHostFor`); services older than per-project names keep `{hash}-{service}`.
   */
  host: string;
  /** The last rolling restart asked for (a pod template annotation), or null. */
  restartedAt: Date | null;
  /** Encrypted (crypto/encryption.ts). */
  webhookSecret: string;
  /** The deployment whose image the service's Deployment runs; `null` before the first build. */
  currentDeploymentId: string | null;
  /** GitHub's id of the repository (bigint, as text), once known: the App's pushes are routed by it. */
  githubRepositoryId: string | null;
  /** Previews of pull requests (`servicePreviewsSchema` of `@dangus/common`). */
  previewsEnabled: boolean;
  previewsMax: number;
  previewsTtlDays: number;
  /** Env keys whose values a preview's env Secret is seeded from at each build. */
  previewsSeedKeys: string[];
  createdAt: Date;
  updatedAt: Date;
}

/**
 * The column of each configuration field: a field of the schema without one here does not
 * compile. The SQL that reads or copies a service's configuration takes its column names
 * from here ({@link serviceColumn}).
 */
export const SERVICE_CONFIG_COLUMNS = {
  name: { type: 'varchar', length: 63 },
  repoUrl: { name: 'repo_url', type: 'text' },
  branch: { type: 'varchar', length: 255 },
  /** Relative to the repository root, `.` for the root (normalised by the schema). */
  contextDir: { name: 'context_dir', type: 'varchar', length: 255, default: '.' },
  dockerfilePath: { name: 'dockerfile_path', type: 'varchar', length: 255 },
  /** Gitignore-style patterns; empty: every push builds. */
  watchPaths: { name: 'watch_paths', type: 'text', array: true, default: () => `'{}'` },
  port: { type: 'integer' },
  storageGb: { name: 'storage_gb', type: 'integer', nullable: true },
  healthCheckPath: { name: 'health_check_path', type: 'varchar', length: 255, nullable: true },
  replicas: { type: 'integer', default: 1 },
  /** One of the operator's SERVICE_SIZES, or null for the LimitRange defaults. */
  size: { type: 'varchar', length: 40, nullable: true },
  /** Strict-Transport-Security on the service's TLS hosts. */
  hsts: { type: 'boolean', default: false },
} as const satisfies Record<keyof ServiceConfig, EntitySchemaColumnOptions>;

/** The column of a configuration field in `services`. */
export function serviceColumn(field: keyof ServiceConfig): string {
  const column: EntitySchemaColumnOptions = SERVICE_CONFIG_COLUMNS[field];
  return column.name ?? field;
}

export const ServiceEntity = new EntitySchema<Service>({
  name: 'Service',
  tableName: 'services',
  columns: {
    id: { type: 'uuid', primary: true, generated: 'uuid' },
    projectId: { name: 'project_id', type: 'uuid' },
    userId: { name: 'user_id', type: 'uuid' },
    ...SERVICE_CONFIG_COLUMNS,
    host: { type: 'varchar', length: 63, unique: true },
    restartedAt: { name: 'restarted_at', type: 'timestamptz', nullable: true },
    webhookSecret: { name: 'webhook_secret', type: 'text' },
    currentDeploymentId: { name: 'current_deployment_id', type: 'uuid', nullable: true },
    githubRepositoryId: { name: 'github_repository_id', type: 'bigint', nullable: true },
    previewsEnabled: { name: 'previews_enabled', type: 'boolean', default: false },
    previewsMax: { name: 'previews_max', type: 'integer', default: 3 },
    previewsTtlDays: { name: 'previews_ttl_days', type: 'integer', default: 7 },
    previewsSeedKeys: { name: 'previews_seed_keys', type: 'text', array: true, default: () => `'{}'` },
    ...timestamps,
    updatedAt: { name: 'updated_at', type: 'timestamptz', updateDate: true },
  },
});

export interface EnvVar {
  id: string;
  serviceId: string;
  key: string;
  /** Encrypted (crypto/encryption.ts). */
  value: string;
  createdAt: Date;
  updatedAt: Date;
}

export const EnvVarEntity = new EntitySchema<EnvVar>({
  name: 'EnvVar',
  tableName: 'env_vars',
  columns: {
    id: { type: 'uuid', primary: true, generated: 'uuid' },
    serviceId: { name: 'service_id', type: 'uuid' },
    key: { type: 'varchar', length: 255 },
    value: { type: 'text' },
    ...timestamps,
    updatedAt: { name: 'updated_at', type: 'timestamptz', updateDate: true },
  },
});

/** What made a deployment: a webhook push, the deploy button, an env or config change, or a rollback (no build for the last two). */
export type DeploymentTrigger = 'push' | 'manual' | 'config' | 'rollback';

/** One env var of a release, its value encrypted as in env_vars (deployments.release_env). */
export interface ReleaseEnvVar {
  key: string;
  value: string;
}

/** Commit status states the platform posts to GitHub. */
export type GitHubStatusState = 'pending' | 'success' | 'failure' | 'error';

export interface Deployment {
  id: string;
  serviceId: string;
  commitSha: string;
  commitMessage: string | null;
  trigger: DeploymentTrigger;
  status: DeploymentStatus;
  reason: string | null;
  imageTag: string | null;
  /** `sha256:…` of the image the build pushed; `imageTag` references it. */
  imageDigest: string | null;
  buildLogs: string | null;
  /** The last commit status posted to GitHub for this deployment. */
  githubStatus: GitHubStatusState | null;
  createdAt: Date;
  updatedAt: Date;
  /** When the pipeline asked for its build Job's commit: only then is the Job in the state repo. */
  buildJobAt: Date | null;
  /** When its build Job became active. */
  startedAt: Date | null;
  finishedAt: Date | null;
  /**
   * What it rolled out with (`releaseConfigSchema` of `@dangus/common`, read through
   * db/releases.ts); null until it rolls out (and for releases older than this record).
   */
  releaseConfig: StoredReleaseConfig | null;
  releaseEnv: ReleaseEnvVar[] | null;
  /** For a rollback: the release it restored. */
  rollbackOf: string | null;
  /** When retention deleted its image from the registry. */
  imageDeletedAt: Date | null;
}

export const DeploymentEntity = new EntitySchema<Deployment>({
  name: 'Deployment',
  tableName: 'deployments',
  columns: {
    id: { type: 'uuid', primary: true, generated: 'uuid' },
    serviceId: { name: 'service_id', type: 'uuid' },
    commitSha: { name: 'commit_sha', type: 'varchar', length: 40 },
    commitMessage: { name: 'commit_message', type: 'text', nullable: true },
    trigger: { type: 'varchar', length: 10 },
    status: { type: 'varchar', length: 20 },
    reason: { type: 'text', nullable: true },
    imageTag: { name: 'image_tag', type: 'text', nullable: true },
    imageDigest: { name: 'image_digest', type: 'varchar', length: 71, nullable: true },
    buildLogs: { name: 'build_logs', type: 'text', nullable: true },
    githubStatus: { name: 'github_status', type: 'varchar', length: 10, nullable: true },
    ...timestamps,
    updatedAt: { name: 'updated_at', type: 'timestamptz', updateDate: true },
    buildJobAt: { name: 'build_job_at', type: 'timestamptz', nullable: true },
    startedAt: { name: 'started_at', type: 'timestamptz', nullable: true },
    finishedAt: { name: 'finished_at', type: 'timestamptz', nullable: true },
    releaseConfig: { name: 'release_config', type: 'jsonb', nullable: true },
    releaseEnv: { name: 'release_env', type: 'jsonb', nullable: true },
    rollbackOf: { name: 'rollback_of', type: 'uuid', nullable: true },
    imageDeletedAt: { name: 'image_deleted_at', type: 'timestamptz', nullable: true },
  },
});

/** How the platform answered one GitHub webhook delivery. */
export type WebhookOutcome = 'deployed' | 'skipped' | 'ignored' | 'ping' | 'rejected';

export interface WebhookDelivery {
  id: string;
  serviceId: string;
  /** GitHub's X-GitHub-Delivery. */
  deliveryId: string;
  /** GitHub's X-GitHub-Event. */
  event: string;
  outcome: WebhookOutcome;
  reason: string | null;
  statusCode: number;
  deploymentId: string | null;
  /** The JSON body of the answer, replayed for a redelivery. */
  response: Record<string, unknown>;
  /** Came through the GitHub App's webhook (redeliverable through GitHub's API). */
  viaApp: boolean;
  receivedAt: Date;
}

export const WebhookDeliveryEntity = new EntitySchema<WebhookDelivery>({
  name: 'WebhookDelivery',
  tableName: 'webhook_deliveries',
  columns: {
    id: { type: 'uuid', primary: true, generated: 'uuid' },
    serviceId: { name: 'service_id', type: 'uuid' },
    deliveryId: { name: 'delivery_id', type: 'varchar', length: 100 },
    event: { type: 'varchar', length: 100 },
    outcome: { type: 'varchar', length: 20 },
    reason: { type: 'text', nullable: true },
    statusCode: { name: 'status_code', type: 'integer' },
    deploymentId: { name: 'deployment_id', type: 'uuid', nullable: true },
    response: { type: 'jsonb' },
    viaApp: { name: 'via_app', type: 'boolean', default: false },
    receivedAt: { name: 'received_at', type: 'timestamptz', createDate: true },
  },
});

export const entities = [
  UserEntity,
  SessionEntity,
  ProjectEntity,
  ServiceEntity,
  EnvVarEntity,
  DeploymentEntity,
  WebhookDeliveryEntity,
];
