import type { DeploymentStatus } from './schemas.js';
import type { ServiceRuntime, ServiceRuntimeField } from './service.js';

/** The one JSON shape of every error the API sends. */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
    /** Per-field messages, keyed by the field's path (`repoUrl`, `env.0.key`). */
    fields?: Record<string, string[]>;
  };
}

export type UserRole = 'admin' | 'member';

export interface UserDto {
  id: string;
  githubUsername: string;
  hash: string;
  role: UserRole;
  /** Whether this platform reaches a Kubernetes cluster: without one nothing builds or runs. */
  cluster: ClusterStatusDto;
}

/** The platform's cluster, as every page's banner reads it (`GET /auth/me`). */
export interface ClusterStatusDto {
  connected: boolean;
  /** Why there is none and what to do, when not connected. */
  reason: string | null;
}

/** A user as an admin sees them on the Users page. */
export interface AdminUserDto {
  id: string;
  githubUsername: string;
  avatarUrl: string | null;
  role: UserRole;
  status: 'active' | 'blocked';
  lastSignInAt: string | null;
  createdAt: string;
  projects: number;
  /** The GitHub account's numeric id: `id:{githubId}` names it in the settings, whatever its login. */
  githubId: string;
  /** Logins of ADMIN_GITHUB_USERS / ALLOWED_GITHUB_USERS pinned to this account (the first to sign in with them). */
  pinnedLogins: string[];
}

/** Someone the sign-in policy did not let in, waiting for an admin. */
export interface AccessRequestDto {
  id: string;
  login: string;
  avatarUrl: string | null;
  requestedAt: string;
}

/** The limits per user, shown on the Users page. */
export interface UserLimitsDto {
  projectsPerUser: number;
  servicesPerProject: number;
  envVarsPerService: number;
  envBytesPerService: number;
  streamsPerUser: number;
  /** History requests (they run git) a user may have under way at once, per api process. */
  historyRequestsPerUser: number;
  exemptAdmins: boolean;
}

export interface DeploymentSummaryDto {
  id: string;
  commitSha: string;
  status: DeploymentStatus;
  createdAt: string;
}

export interface ServiceSummaryDto {
  id: string;
  name: string;
  port: number;
  status: DeploymentStatus | null;
  internalAddress: string;
  publicUrl: string;
  lastDeployment: DeploymentSummaryDto | null;
}

export interface ProjectDto {
  id: string;
  name: string;
  namespace: string;
  createdAt: string;
  serviceCount: number;
}

export interface ProjectDetailDto extends ProjectDto {
  services: ServiceSummaryDto[];
}

export type { ActionAbilityDto, ServiceAbilitiesDto, ServiceDto, TenantFailureDto } from './service.js';

export interface EnvVarDto {
  id: string;
  key: string;
  /** Always masked in lists; the value is only ever written, never read back in a list. */
  value: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * What pasting a `.env` file does to a service's variables, by key (never a value):
 * `added` are new, `changed` get a new value, `unchanged` already have that value, and
 * `kept` are the service's other variables, which an import leaves as they are.
 */
export interface EnvImportDto {
  added: string[];
  changed: string[];
  unchanged: string[];
  kept: string[];
  /** Whether the import was applied (false for a preview, or when nothing changes). */
  applied: boolean;
  /** The rollout the applied change started; null when nothing was built yet or nothing changed. */
  deploymentId: string | null;
}

/** One variable's value, shown to its owner on demand (and recorded in the service's activity). */
export interface EnvValueDto {
  id: string;
  key: string;
  value: string;
}

/**
 * What was done to a service outside its infrastructure history (the state repo's commits):
 * `env.reveal` is an env value shown to its owner; `subject` is the variable's key.
 */
export interface ServiceActivityDto {
  id: string;
  action: 'env.reveal';
  subject: string;
  /** The GitHub login of who did it. */
  actor: string;
  createdAt: string;
}

/** What made a deployment: a webhook push, the deploy button, or an env change (no build). */
export type DeploymentTrigger = 'push' | 'manual' | 'config' | 'rollback';

export interface DeploymentDto extends DeploymentSummaryDto {
  serviceId: string;
  commitMessage: string | null;
  trigger: DeploymentTrigger;
  imageTag: string | null;
  /** `sha256:…` of the image the build pushed (the Deployment runs the image by this digest). */
  imageDigest: string | null;
  reason: string | null;
  updatedAt: string;
  finishedAt: string | null;
  /** For a rollback: the release it restored. */
  rollbackOf: string | null;
  /** A release that went live and can be rolled back to (its image and configuration are kept). */
  restorable: boolean;
  /** Retention deleted its image from the registry. */
  imageDeleted: boolean;
  buildLogs?: string;
}

/** What a rollback would change, against what runs now (env values are never shown, only keys). */
export interface RollbackPreviewDto {
  deploymentId: string;
  restorable: boolean;
  /** Why not, when it is not. */
  reason: string | null;
  image: { from: string | null; to: string | null };
  commit: { from: string | null; to: string };
  config: { field: ServiceRuntimeField; from: ServiceRuntime[ServiceRuntimeField]; to: ServiceRuntime[ServiceRuntimeField] }[];
  env: { added: string[]; removed: string[]; changed: string[] };
}

/** One GitHub webhook delivery and how the platform answered it. */
export interface WebhookDeliveryDto {
  id: string;
  /** GitHub's X-GitHub-Delivery. */
  deliveryId: string;
  /** GitHub's X-GitHub-Event. */
  event: string;
  outcome: 'deployed' | 'ignored' | 'ping' | 'rejected';
  reason: string | null;
  statusCode: number;
  deploymentId: string | null;
  /** Came through the GitHub App's webhook: GitHub can send it again ("Redeliver"). */
  viaApp: boolean;
  receivedAt: string;
}

/** One state-repo commit of a service's infrastructure history. */
export interface HistoryCommitDto {
  sha: string;
  subject: string;
  author: { name: string; email: string; date: string };
  committer: { name: string; email: string; date: string };
  /** From the commit's `Dangus-*` trailers. */
  actor: string | null;
  deploymentId: string | null;
  sourceCommit: string | null;
  /** The service's and its tenant's files it changed, with line counts. */
  files: { path: string; added: number; removed: number }[];
}

export interface HistoryPageDto {
  commits: HistoryCommitDto[];
  /** Pass as `?cursor=` for the next page; null at the end. */
  nextCursor: string | null;
}

export interface HistoryDiffDto extends HistoryCommitDto {
  /** Unified diff of the commit, restricted to the service's and its tenant's files. */
  diff: string;
}

/** A size a service can have: CPU and memory of each pod (requests = limits). */
export interface ServiceSizeDto {
  name: string;
  cpu: string;
  memory: string;
}

/** One Kubernetes Event of a service (`GET /api/services/:id/events`). */
export interface ServiceEventDto {
  type: 'Normal' | 'Warning';
  reason: string;
  /** `Kind/name` of the object it is about. */
  object: string;
  message: string;
  /** What it means, in plain words, when the reason is one the platform knows. */
  summary: string | null;
  count: number;
  firstSeen: string | null;
  lastSeen: string | null;
}

/** One resource of a project's quota, as the cluster counts it (`GET /api/projects/:id/usage`). */
export interface QuotaUsageDto {
  /** `requests.cpu`, `limits.memory`, `pods`, `requests.storage`, … */
  resource: string;
  used: string;
  hard: string;
}

/** One pod's figures in one sample. */
export interface PodMetricsDto {
  pod: string;
  /** CPU in use, in millicores (fractional). */
  cpuMillicores: number;
  /** Memory in use (the working set), in bytes. */
  memoryBytes: number;
}

/** A service's CPU and memory over the last hour (`GET /api/services/:id/metrics`). */
export interface ServiceMetricsDto {
  /** Whether the cluster serves the metrics API (metrics.k8s.io). */
  available: boolean;
  /** Why there are no figures, in plain words, when not available. */
  reason: string | null;
  /** Seconds between samples. */
  intervalSeconds: number;
  /** Each pod's limits (its size, or the namespace's defaults): drawn on the charts. */
  limits: { cpuMillicores: number; memoryBytes: number };
  /** Oldest first; one per sampling, for the pods of the service that had figures then. */
  samples: { at: string; pods: PodMetricsDto[] }[];
}
