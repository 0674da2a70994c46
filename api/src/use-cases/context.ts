import type { Logger } from 'pino';
import type { CertificateAttentionDto, CertificateStateDto } from '@dangus/common';
import type { DataSource } from 'typeorm';
import type { Encryptor } from '../crypto/encryption.js';
import type { StateSink } from '../state-repo/state-sink.js';
import type { GitHubApi } from '../github/github-api.js';
import type { GitHubApp } from '../github/github-app.js';
import type { ProjectListCache } from './project-list-cache.js';
import type { EventBus } from '../events/event-bus.js';
import type { TenantRegistries } from '../registry/tenant-registries.js';
import type { DomainSettings, UserLimits } from '../config/config.js';
import type { StateHistory } from '@dangus/gitops-writer';
import type { Capacity } from './capacity.js';
import type { RuntimeLogs } from '../kube/runtime-logs.js';
import type { ServiceEvents } from '../kube/service-events.js';
import type { ServiceMetrics } from '../kube/service-metrics.js';
import type { ProjectUsage } from '../kube/project-usage.js';
import type { PipelineHandle } from '../pipeline/pipeline-handle.js';
import type { RepoVisibility } from '../github/repo-visibility.js';
import type { ObjectStorage } from '../object-storage/object-storage.js';

/** What every use case may touch, passed in one options object (docs/architecture.md#code-conventions). */
export interface UseCaseContext {
  db: DataSource;
  encryptor: Encryptor;
  stateSink: StateSink;
  github: GitHubApi;
  /** The platform's GitHub App: credentials, installation tokens (github/github-app.ts). */
  githubApp?: GitHubApp;
  logger: Logger;
  /** Rendered project lists by user, valid while the user's list version is unchanged. */
  projectListCache?: ProjectListCache;
  /** Absent when this process runs no pipeline (rows then wait for one that does). */
  pipeline?: PipelineHandle;
  /** Live fan-out to SSE streams. */
  events: EventBus;
  /** Each tenant's registry project and robot (per-tenant mode), removed with the tenant. */
  registries: TenantRegistries;
  settings: { baseDomain: string; webhookBaseUrl: string; publicScheme: 'http' | 'https' };
  /** Custom domains' DNS checks and certificates (issue 34); absent: the system resolver, no certificates. */
  domains?: DomainSettings;
  /** cert-manager's Certificates of a namespace by host, read from the cluster (kube/certificates.ts); absent without one. */
  certificates?: {
    byHost(namespace: string): Promise<Map<string, CertificateStateDto>>;
    attention(now: Date): Promise<CertificateAttentionDto[]>;
  };
  /** Limits per user (0: none). */
  limits: UserLimits;
  /** Sizes, quota and LimitRange defaults, for replicas and sizes (capacity.ts). */
  capacity: Capacity;
  /** Between CPU/memory samples while someone watches. */
  metricsSampleMs: number;
  /** Whether this process reaches a Kubernetes cluster (service-abilities.ts says what that refuses). */
  clusterConnected: boolean;
  /** Whether repositories are public, for owners without a GitHub token. */
  repoVisibility?: RepoVisibility;
  /** Reads running services' logs through the Kubernetes API; absent without a cluster. */
  runtimeLogs?: RuntimeLogs;
  /** Reads a service's Kubernetes Events; absent without a cluster. */
  serviceEvents?: ServiceEvents;
  /** Samples services' CPU and memory from the metrics API; absent without a cluster. */
  serviceMetrics?: ServiceMetrics;
  /** Reads a project's quota usage; absent without a cluster. */
  projectUsage?: ProjectUsage;
  /** The state repo's history reader; absent without a state repo. */
  history?: StateHistory;
  /** The object-storage backend (OBJECT_STORAGE_*); absent when none is configured. */
  objectStorage?: ObjectStorage;
}

/** The signed-in user every query is scoped to. */
export interface CurrentUser {
  id: string;
  githubUsername: string;
  hash: string;
  role: 'admin' | 'member';
  /** Moves whenever the user's project list changes (users.list_version). */
  listVersion?: string;
}
