import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { StateSink } from '../state-repo/state-sink.js';
import type { Encryptor } from '../crypto/encryption.js';
import type { GitHubApi } from '../github/github-api.js';
import type { GitHubApp } from '../github/github-app.js';
import type { EventBus } from '../events/event-bus.js';
import type { TenantRegistries } from '../registry/tenant-registries.js';
import type { BuildLogs } from './build-logs.js';
import type { ClusterSecrets } from './cluster-secrets.js';
import type { TenantSecrets } from './tenant-secrets.js';
import type { ClusterView } from './watcher.js';
import type { KeyedQueue } from './keyed-queue.js';
import type { DeploymentRows } from './deployment-rows.js';
import type { DeployCommits } from './deploy-commits.js';
import type { CommitStatuses } from './commit-status.js';
import type { ReportsRetry } from './github-reports.js';

export interface PipelineSettings {
  /** Where the UI is, for the commit status's link. */
  publicUrl: string;
  harborHost: string;
  harborProject: string;
  /** Where a tenant's images live (gitops-writer's RenderSettings.registryLayout). */
  registryLayout: 'shared' | 'per-tenant';
  buildDeadlineSeconds: number;
  /** A pending build whose Job has not appeared by then fails (default 10 min). */
  buildStartTimeoutMs?: number;
  /** Every non-final row is reconciled at least this often (default 30 s). */
  resyncMs?: number;
  /** The services' domain and scheme, for the GitHub Deployment's `environment_url`. */
  baseDomain?: string;
  publicScheme?: 'http' | 'https';
  /** How GitHub's failures of the App's reports are retried (tests shorten it). */
  reportsRetry?: Partial<ReportsRetry>;
}

export interface PipelineDeps {
  db: DataSource;
  encryptor: Encryptor;
  /** The one door into the writer (the outbox): the pipeline's commits are intents like a user's. */
  stateSink: StateSink;
  github: GitHubApi;
  /** The GitHub App, when one may be connected: builds of the repositories it covers fetch with its tokens. */
  githubApp?: GitHubApp | undefined;
  events: EventBus;
  logger: Logger;
  secrets: ClusterSecrets;
  /** The tenants' pull Secret, written before a build (env Secrets are the writer's alone). */
  tenantSecrets: Pick<TenantSecrets, 'writePullSecret'>;
  cluster: ClusterView;
  logs: BuildLogs;
  /** Why a build Job has no pod yet (the quota refused it), in plain words; absent: not asked. */
  buildWaiting?: (namespace: string, job: string) => Promise<string | null>;
  /** Each tenant's registry credential (or the one shared credential). */
  registries: TenantRegistries;
  settings: PipelineSettings;
}

/** What the phases of a deployment share, made by the pipeline's constructor. */
export interface PipelineParts {
  rows: DeploymentRows;
  commits: DeployCommits;
  statuses: CommitStatuses;
  /** The reconcile queue: `retryLater(id)` looks at a row again soon. */
  queue: Pick<KeyedQueue, 'retryLater'>;
}
