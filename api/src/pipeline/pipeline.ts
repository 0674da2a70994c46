import { DEPLOYMENT_LABEL } from '@dangus/gitops-writer/labels';
import { buildJobName, buildSecretName, imageRepository, shortSha } from '@dangus/gitops-writer/names';
import { REPO_URL_PATTERN, namespaceFor, type DeploymentStatus } from '@dangus/common';

import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { StateSink, TenantChange } from '../state-repo/state-sink.js';
import type { Encryptor } from '../crypto/encryption.js';
import { DeploymentEntity, type Deployment, type GitHubStatusState, type ReleaseConfig, type ReleaseEnvVar } from '../db/entities/index.js';
import { RELEASE_SNAPSHOT_SQL, restoreRelease } from '../db/releases.js';
import type { GitHubApi } from '../github/github-api.js';
import { toDeploymentDto } from '../db/deployment-dto.js';
import type { PipelineHandle } from './pipeline-handle.js';
import { LOCAL_GITHUB_ID } from '../auth/local-sign-in.js';
import type { BuildLogs, LogTarget } from './build-logs.js';
import { ApiException, type V1ContainerStateTerminated, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { dockerConfigJson, type ClusterSecrets } from './cluster-secrets.js';
import type { TenantSecrets } from './tenant-secrets.js';
import type { EventBus } from '../events/event-bus.js';
import { KeyedQueue } from './keyed-queue.js';
import { Redactor } from './redact.js';
import { buildDigest, buildOutcome, jobStarted, rolloutOutcome } from './cluster-state.js';
import type { ClusterView } from './watcher.js';
import type { TenantRegistries } from '../registry/tenant-registries.js';
import { HarborError } from '../registry/harbor-api.js';

export interface PipelineSettings {
  /** Where the UI is, for the commit status's link. */
  publicUrl: string;
  harborHost: string;
  harborProject: string;
  /** Where a tenant's images live (gitops-writer's RenderSettings.registryLayout). */
  registryLayout: 'shared' | 'per-tenant';
  /** The tenant pull Secret the platform writes in the per-tenant layout, `null` otherwise. */
  tenantPullSecret: string | null;
  buildDeadlineSeconds: number;
  /** A pending build whose Job has not appeared by then fails (default 10 min). */
  buildStartTimeoutMs?: number;
  /** Every non-final row is reconciled at least this often (default 30 s). */
  resyncMs?: number;
}

export interface PipelineDeps {
  db: DataSource;
  encryptor: Encryptor;
  stateSink: StateSink;
  github: GitHubApi;
  events: EventBus;
  logger: Logger;
  secrets: ClusterSecrets;
  /** The env Secret a rollout needs (the same the state-repo writer writes before an env commit). */
  tenantSecrets: TenantSecrets;
  cluster: ClusterView;
  logs: BuildLogs;
  /** Why a build Job has no pod yet (the quota refused it), in plain words; absent: not asked. */
  buildWaiting?: (namespace: string, job: string) => Promise<string | null>;
  /** Each tenant's registry credential (or the one shared credential). */
  registries: TenantRegistries;
  settings: PipelineSettings;
}

/** A deployment row with what the pipeline needs of its service, project and owner. */
interface WorkRow {
  id: string;
  service_id: string;
  commit_sha: string;
  trigger: Deployment['trigger'];
  status: DeploymentStatus;
  reason: string | null;
  github_status: GitHubStatusState | null;
  created_at: Date;
  finished_at: Date | null;
  service_name: string;
  repo_url: string;
  current_deployment_id: string | null;
  webhook_secret: string;
  project_id: string;
  project_name: string;
  user_id: string;
  user_hash: string;
  github_username: string;
  github_id: string;
  github_access_token: string;
}

const ACTIVE: DeploymentStatus[] = ['pending', 'building', 'deploying'];
const RECENTLY_FINISHED_MS = 3_600_000;

/**
 * Moves every deployment row `pending → building → deploying → live | failed`
 * (docs/architecture.md#status). It is level-triggered: `reconcile(id)` reads the row
 * and the informers' view of the cluster and does whatever step is due, so the
 * same call is right after a webhook, an informer event, a resync, or an api
 * restart. Rows change by compare-and-set on their status, so a second api
 * process, or a late event, cannot move one twice.
 */
export class DeploymentPipeline implements PipelineHandle {
  private readonly queue: KeyedQueue;
  /** The row status whose tenant commit this process made (a repeat is a no-op commit anyway). */
  private readonly committed = new Map<string, DeploymentStatus>();
  private readonly secretsWritten = new Set<string>();
  /** Why a build's Secret could not be written yet (Harbor or the cluster refusing): the reason if the build then fails. */
  private readonly secretErrors = new Map<string, string>();
  private resync: NodeJS.Timeout | undefined;

  constructor(private readonly deps: PipelineDeps) {
    this.queue = new KeyedQueue({
      concurrency: 4,
      work: (id) => this.reconcile(id),
      onError: (id, error) => deps.logger.warn({ deploymentId: id, err: error }, 'deployment reconcile failed: will retry'),
    });
  }

  start(): void {
    this.reconcileActive();
    this.resync = setInterval(() => this.reconcileActive(), this.deps.settings.resyncMs ?? 30_000);
    this.resync.unref();
  }

  /** Lets running reconciles finish (a few seconds at most: rows carry the rest). */
  async stop(): Promise<void> {
    clearInterval(this.resync);
    await Promise.race([this.queue.drain(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    await this.deps.logs.stop();
  }

  kick(deploymentIds: string[]): void {
    for (const id of deploymentIds) this.queue.add(id);
  }

  /** Queues every row not yet final (start-up, informer re-list, periodic resync). */
  reconcileActive(): void {
    this.deps.db
      .query(`SELECT id FROM deployments WHERE status = ANY($1) ORDER BY created_at`, [ACTIVE])
      .then((rows: { id: string }[]) => this.kick(rows.map((row) => row.id)))
      .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'could not list active deployments'));
  }

  /** Resolves when no reconcile is queued or running (the benchmark waits for it before it reports). */
  idle(): Promise<void> {
    return this.queue.drain();
  }

  async reconcile(id: string): Promise<void> {
    const row = await this.load(id);
    if (!row) return;
    switch (row.status) {
      case 'pending':
        return this.pending(row);
      case 'building':
        return this.building(row);
      case 'deploying':
        return this.deploying(row);
      default:
        return this.finished(row);
    }
  }

  // --- pending: the Job is committed, waiting for the cluster to run it -------------

  private async pending(row: WorkRow): Promise<void> {
    const ns = this.namespace(row);
    if (!this.secretsWritten.has(row.id)) {
      try {
        const owner = { serviceId: row.service_id, deploymentId: row.id };
        const registry = await this.deps.registries.credentialsFor(row.project_id, ns);
        const dockerConfig = dockerConfigJson(this.deps.settings.harborHost, registry);
        // The tenant's own pull Secret, from its own robot: its pods pull only its images.
        const pullSecret = this.deps.settings.tenantPullSecret;
        if (pullSecret !== null) await this.deps.secrets.applyPullSecret(ns, pullSecret, dockerConfig);
        await this.deps.secrets.createBuildSecret(ns, buildSecretName(row.service_name, row.commit_sha), owner, {
          gitToken: this.gitToken(row),
          dockerConfigJson: dockerConfig,
        });
        this.secretsWritten.add(row.id);
        this.secretErrors.delete(row.id);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (refusedForGood(error)) {
          // Asking again gets the same answer: the deployment fails now with the reason, not at the deadline.
          this.deps.logger.warn({ deploymentId: row.id, err: error }, 'the build cannot get its credentials: failing it');
          await this.buildFailed(row, ['pending'], `the build could not get its credentials: ${message}`, null);
          return;
        }
        // The namespace may not be applied yet: the Job's pod waits for its Secret, and the next pass writes it.
        this.deps.logger.warn({ deploymentId: row.id, err: error }, 'could not write the build Secret yet');
        this.secretErrors.set(row.id, message);
        this.queue.retryLater(row.id);
      }
    }
    await this.commitOnce(row, `build ${shortSha(row.commit_sha)}`);
    this.postStatus(row, 'pending', 'Building');
    const job = this.ownJob(row);
    if (job && (jobStarted(job) || buildOutcome(job))) {
      const started = await this.transition(row, ['pending'], { status: 'building', startedAt: jobStart(job) });
      if (started) await this.building({ ...row, status: 'building' });
      return;
    }
    const timeout = this.deps.settings.buildStartTimeoutMs ?? 600_000;
    if (!job && this.deps.cluster.synced() && Date.now() - row.created_at.getTime() > timeout) {
      await this.buildFailed(
        row,
        ['pending'],
        this.secretErrors.has(row.id)
          ? `the build could not get its credentials: ${this.secretErrors.get(row.id) ?? ''}`
          : `the build Job did not start within ${String(Math.round(timeout / 60_000))} min: is the applier running? (see System)`,
        null,
      );
    }
  }

  /**
   * While a started build has no pod because the quota refused one, the row's reason says
   * so ("Waiting: …"), and the row is looked at again soon; the pod's arrival clears it.
   */
  private async sayWhyWaiting(row: WorkRow, pod: V1Pod | undefined): Promise<void> {
    const waiting = row.reason?.startsWith('Waiting:') === true;
    let reason: string | null = null;
    if (!pod && this.deps.buildWaiting) {
      reason = await this.deps.buildWaiting(this.namespace(row), buildJobName(row.service_name, row.commit_sha)).catch((error: unknown) => {
        this.deps.logger.debug({ deploymentId: row.id, err: error }, 'could not read why the build waits');
        return null;
      });
      this.queue.retryLater(row.id);
    }
    if (reason === row.reason || (reason === null && !waiting)) return;
    const result: [unknown[], number] = await this.deps.db.query(
      `UPDATE deployments SET reason = $3, updated_at = now() WHERE id = $1 AND status = $2 AND reason IS NOT DISTINCT FROM $4`,
      [row.id, row.status, reason, row.reason],
    );
    if (result[1] === 1) await this.published(row);
  }

  // --- building: follow its log until the Job ends ---------------------------------

  private async building(row: WorkRow): Promise<void> {
    const job = this.ownJob(row);
    const pod = this.buildPod(row);
    const target = pod ? this.logTarget(row, pod) : null;
    // Followed while it runs; once it ended, the final read in complete() takes the rest.
    if (target && pod?.status?.phase === 'Running' && !this.deps.logs.isFollowing(row.id)) {
      await this.deps.logs.follow(target, await this.redactor(row));
    }
    if (!job) {
      if (this.deps.cluster.synced()) await this.buildFailed(row, ['building'], 'the build Job disappeared before it finished', target);
      return;
    }
    await this.sayWhyWaiting(row, pod);
    const outcome = buildOutcome(job, pod);
    this.deps.logger.debug({ deploymentId: row.id, job: job.status, pod: pod?.status?.phase }, 'build in progress');
    if (outcome === null) return;
    if (outcome.succeeded) await this.buildSucceeded(row, target, pod);
    else await this.buildFailed(row, ['building'], outcome.timedOut ? `the build timed out after ${String(this.deps.settings.buildDeadlineSeconds)} s` : null, target, pod);
  }

  private async buildSucceeded(row: WorkRow, target: LogTarget | null, pod: V1Pod | undefined): Promise<void> {
    const ns = this.namespace(row);
    // Deploy by digest: the tag is the commit, which anyone holding push rights could
    // overwrite; the digest is what this build pushed.
    const digest = buildDigest(pod);
    if (digest === null) {
      const reason = 'the build ended without reporting the digest of the image it pushed (Kaniko writes it to its termination message)';
      await this.buildFailed(row, ['pending', 'building'], reason, target, pod);
      return;
    }
    // Independent, and all before the row moves: the log is whole once a row is past
    // `building`, and the new pods must find their env Secret.
    const redactor = await this.redactor(row);
    await Promise.all([
      this.deps.logs.complete(target, redactor, row.id),
      this.deps.secrets.deleteSecret(ns, buildSecretName(row.service_name, row.commit_sha)),
      this.deps.tenantSecrets.writeEnvSecret(row.service_id),
    ]);
    const image = `${imageRepository(this.deps.settings, ns, row.service_name)}:${row.commit_sha}@${digest}`;
    const moved = await this.deps.db.transaction(async (manager) => {
      const result: [unknown[], number] = await manager.query(
        `UPDATE deployments d SET status = 'deploying', image_tag = $2, image_digest = $3, finished_at = NULL, updated_at = now(),
                ${RELEASE_SNAPSHOT_SQL}
          WHERE d.id = $1 AND d.status IN ('pending', 'building')`,
        [row.id, image, digest],
      );
      if (result[1] !== 1) return false;
      await manager.query(`UPDATE services SET current_deployment_id = $2 WHERE id = $1`, [row.service_id, row.id]);
      return true;
    });
    if (!moved) return;
    await this.published(row);
    await this.commit(row, 'deploying', `roll out ${shortSha(row.commit_sha)}`);
    this.postStatus(row, 'pending', 'Built: rolling out');
  }

  private async buildFailed(
    row: WorkRow,
    from: DeploymentStatus[],
    reason: string | null,
    target: LogTarget | null,
    pod?: V1Pod,
  ): Promise<void> {
    const redactor = await this.redactor(row);
    // When the source fetch failed, Kaniko never ran: its step's log is the one that explains.
    const fetch = fetchFailure(pod);
    const logTarget = fetch && target ? { ...target, container: FETCH_CONTAINER } : target;
    await Promise.all([
      this.deps.logs.complete(logTarget, redactor, row.id),
      this.deps.secrets.deleteSecret(this.namespace(row), buildSecretName(row.service_name, row.commit_sha)),
    ]);
    const secretError = this.secretErrors.get(row.id);
    this.secretErrors.delete(row.id);
    const because = reason ?? (secretError === undefined ? await this.buildFailure(row, pod) : `the build could not get its credentials: ${secretError}`);
    if (!(await this.transition(row, from, { status: 'failed', reason: because, finishedAt: new Date() }))) return;
    await this.commit(row, 'failed', `build ${shortSha(row.commit_sha)} failed`);
    this.postStatus(row, 'failure', `Build failed: ${because}`);
  }

  /** "the build failed (exit code 1): <its last log line>" (or "fetching the source failed …"). */
  private async buildFailure(row: WorkRow, pod: V1Pod | undefined): Promise<string> {
    const fetch = fetchFailure(pod);
    const terminated = fetch ?? pod?.status?.containerStatuses?.[0]?.state?.terminated;
    const rows: { tail: string | null }[] = await this.deps.db.query(
      `SELECT right(build_logs, 2000) AS tail FROM deployments WHERE id = $1`,
      [row.id],
    );
    const last = (rows[0]?.tail ?? '').split('\n').map((line) => line.trim()).filter(Boolean).pop();
    const code = terminated ? ` (exit code ${String(terminated.exitCode)})` : '';
    const what = fetch ? `fetching commit ${shortSha(row.commit_sha)} of ${row.repo_url} failed` : 'the build failed';
    return `${what}${code}${last ? `: ${last.slice(0, 300)}` : ''}`;
  }

  // --- deploying: watch the rollout ---------------------------------------------------

  private async deploying(row: WorkRow): Promise<void> {
    if (row.current_deployment_id !== row.id) {
      const reason = 'superseded by a newer deployment before its rollout finished';
      if (await this.transition(row, ['deploying'], { status: 'failed', reason, finishedAt: new Date() })) {
        this.postStatus(row, 'error', 'Superseded by a newer deployment');
      }
      return;
    }
    if (!builds(row) && !this.secretsWritten.has(row.id)) {
      await this.deps.tenantSecrets.writeEnvSecret(row.service_id);
      this.secretsWritten.add(row.id);
    }
    await this.commitOnce(row, `roll out ${shortSha(row.commit_sha)}`);
    const deployment = this.deps.cluster.deployment(this.namespace(row), row.service_name);
    this.deps.logger.debug({ deploymentId: row.id, labels: deployment?.metadata?.labels, status: deployment?.status }, 'rollout in progress');
    if (deployment?.metadata?.labels?.[DEPLOYMENT_LABEL] !== row.id) return;
    const outcome = rolloutOutcome(deployment, this.deps.cluster.pods(this.namespace(row), row.id), new Date());
    if (outcome === null) return;
    if (outcome.live) {
      if (await this.transition(row, ['deploying'], { status: 'live', finishedAt: new Date() })) {
        this.postStatus(row, 'success', 'Live');
      }
      return;
    }
    if (!(await this.transition(row, ['deploying'], { status: 'failed', reason: outcome.reason, finishedAt: new Date() }))) return;
    this.postStatus(row, 'failure', `Rollout failed: ${outcome.reason}`);
    await this.rollBack(row);
  }

  /**
   * The failed rollout's service goes back to its last live deployment, if it
   * had one (a first deployment that fails stays, so its pods can be looked at).
   * When the failed one changed configuration or env values (a config change, a
   * rollback), those go back to that release's too: a bad value must not keep failing.
   */
  private async rollBack(row: WorkRow): Promise<void> {
    const restoreConfig = !builds(row);
    const previous = await this.deps.db.transaction(async (manager) => {
      // UPDATE … RETURNING answers [rows, count] through TypeORM.
      const [back]: [{ id: string; commit_sha: string; release_config: ReleaseConfig | null; release_env: ReleaseEnvVar[] | null }[], number] =
        await manager.query(
          `UPDATE services s SET current_deployment_id = prev.id
             FROM (SELECT id, commit_sha, release_config, release_env FROM deployments
                    WHERE service_id = $1 AND id <> $2 AND status = 'live' AND image_tag IS NOT NULL
                    ORDER BY created_at DESC LIMIT 1) prev
            WHERE s.id = $1 AND s.current_deployment_id = $2
            RETURNING prev.id, prev.commit_sha, prev.release_config, prev.release_env`,
          [row.service_id, row.id],
        );
      const found = back[0];
      if (found && restoreConfig && found.release_config && found.release_env) {
        await restoreRelease(manager, row.service_id, found.release_config, found.release_env);
      }
      return found;
    });
    if (!previous) return;
    this.deps.logger.info({ deploymentId: row.id, to: previous.id, restoreConfig }, 'rolled back to the last live deployment');
    if (restoreConfig) {
      await this.deps.tenantSecrets.writeEnvSecret(row.service_id).catch((error: unknown) =>
        this.deps.logger.warn({ deploymentId: row.id, err: error }, 'could not write the restored env Secret'),
      );
    }
    await this.commit(row, 'failed', `roll back to ${shortSha(previous.commit_sha)}`);
  }

  // --- final rows: tidy what a crash or a supersede may have left ---------------------

  private async finished(row: WorkRow): Promise<void> {
    // A failed rollout still current was not rolled back yet (a crash in between).
    if (row.status === 'failed' && row.current_deployment_id === row.id) await this.rollBack(row);
    if (!builds(row)) return;
    if (row.finished_at && Date.now() - row.finished_at.getTime() > RECENTLY_FINISHED_MS) return;
    if (row.status === 'failed') {
      const pod = this.buildPod(row);
      if (this.deps.logs.isFollowing(row.id)) await this.deps.logs.complete(pod ? this.logTarget(row, pod) : null, await this.redactor(row), row.id);
      await this.deps.secrets.deleteSecret(this.namespace(row), buildSecretName(row.service_name, row.commit_sha));
      if (row.reason?.startsWith('superseded') && row.github_status !== 'error') this.postStatus(row, 'error', `Superseded: ${row.reason}`);
    }
    this.committed.delete(row.id);
    this.secretsWritten.delete(row.id);
  }

  // --- helpers ------------------------------------------------------------------------

  private async load(id: string): Promise<WorkRow | undefined> {
    const rows: WorkRow[] = await this.deps.db.query(
      `SELECT d.id, d.service_id, d.commit_sha, d.trigger, d.status, d.reason, d.github_status, d.created_at, d.finished_at,
              s.name AS service_name, s.repo_url, s.current_deployment_id, s.webhook_secret,
              p.id AS project_id, p.name AS project_name,
              u.id AS user_id, u.hash AS user_hash, u.github_username, u.github_id, u.github_access_token
         FROM deployments d
         JOIN services s ON s.id = d.service_id
         JOIN projects p ON p.id = s.project_id
         JOIN users u ON u.id = s.user_id
        WHERE d.id = $1`,
      [id],
    );
    return rows[0];
  }

  private namespace(row: WorkRow): string {
    return namespaceFor(row.user_hash, row.project_name);
  }

  private ownJob(row: WorkRow): V1Job | undefined {
    const job = this.deps.cluster.job(this.namespace(row), buildJobName(row.service_name, row.commit_sha));
    return job?.metadata?.labels?.[DEPLOYMENT_LABEL] === row.id ? job : undefined;
  }

  private buildPod(row: WorkRow): V1Pod | undefined {
    const jobName = buildJobName(row.service_name, row.commit_sha);
    const pods = this.deps.cluster
      .pods(this.namespace(row), row.id)
      .filter((pod) => pod.metadata?.labels?.['job-name'] === jobName || pod.metadata?.labels?.['batch.kubernetes.io/job-name'] === jobName);
    // backoffLimit is 0: one pod, or its replacement after an eviction (the newest counts).
    return pods.sort((a, b) => time(b.metadata?.creationTimestamp) - time(a.metadata?.creationTimestamp))[0];
  }

  private logTarget(row: WorkRow, pod: V1Pod): LogTarget {
    return {
      deploymentId: row.id,
      namespace: this.namespace(row),
      pod: pod.metadata?.name ?? '',
      container: pod.spec?.containers[0]?.name ?? 'kaniko',
    };
  }

  private gitToken(row: WorkRow): string {
    return row.github_id === LOCAL_GITHUB_ID ? '' : this.deps.encryptor.decrypt(row.github_access_token);
  }

  /** Every value that must not appear in a stored or streamed log. */
  private async redactor(row: WorkRow): Promise<Redactor> {
    const env: { value: string }[] = await this.deps.db.query(`SELECT value FROM env_vars WHERE service_id = $1`, [row.service_id]);
    const registry = await this.deps.registries.existing(row.project_id);
    return new Redactor([
      this.gitToken(row),
      this.deps.encryptor.decrypt(row.webhook_secret),
      ...(registry ? [registry.password, Buffer.from(`${registry.username}:${registry.password}`).toString('base64')] : []),
      ...env.map((entry) => this.deps.encryptor.decrypt(entry.value)),
    ]);
  }

  /** Compare-and-set of the row's status; publishes the new row. */
  private async transition(
    row: WorkRow,
    from: DeploymentStatus[],
    to: { status: DeploymentStatus; reason?: string; startedAt?: Date; finishedAt?: Date },
  ): Promise<boolean> {
    const result: [unknown[], number] = await this.deps.db.query(
      `UPDATE deployments
          SET status = $3, reason = coalesce($4, reason), started_at = coalesce($5, started_at),
              finished_at = coalesce($6, finished_at), updated_at = now()
        WHERE id = $1 AND status = ANY($2)`,
      [row.id, from, to.status, to.reason ?? null, to.startedAt ?? null, to.finishedAt ?? null],
    );
    if (result[1] !== 1) return false;
    this.deps.logger.info({ deploymentId: row.id, from: row.status, to: to.status, reason: to.reason }, 'deployment moved');
    await this.published(row);
    return true;
  }

  private async published(row: WorkRow): Promise<void> {
    const fresh = await this.deps.db.getRepository(DeploymentEntity).findOneBy({ id: row.id });
    if (fresh) this.deps.events.deploymentChanged({ userId: row.user_id, deployment: toDeploymentDto(fresh) });
  }

  private async commitOnce(row: WorkRow, summary: string): Promise<void> {
    if (this.committed.get(row.id) === row.status) return;
    await this.commit(row, row.status, summary);
  }

  private async commit(row: WorkRow, status: DeploymentStatus, summary: string): Promise<void> {
    const change: TenantChange = {
      projectId: row.project_id,
      namespace: this.namespace(row),
      serviceName: row.service_name,
      verb: 'deploy',
      summary,
      actor: { userId: row.user_id, githubUsername: row.github_username },
      deploymentId: row.id,
      sourceCommit: row.commit_sha,
    };
    await this.deps.stateSink.tenantChanged(change);
    this.committed.set(row.id, status);
  }

  /**
   * Sets the commit status on GitHub once per state, after recording it: a
   * failure is logged and never holds up the deployment.
   */
  private postStatus(row: WorkRow, state: GitHubStatusState, description: string): void {
    if (!builds(row) || row.github_id === LOCAL_GITHUB_ID || row.github_status === state) return;
    const match = REPO_URL_PATTERN.exec(row.repo_url);
    const owner = match?.[1];
    const repo = match?.[2];
    if (!owner || !repo) return;
    row.github_status = state;
    const post = async () => {
      const result: [unknown[], number] = await this.deps.db.query(
        `UPDATE deployments SET github_status = $2 WHERE id = $1 AND github_status IS DISTINCT FROM $2`,
        [row.id, state],
      );
      if (result[1] !== 1) return;
      await this.deps.github.setCommitStatus(this.deps.encryptor.decrypt(row.github_access_token), {
        owner,
        repo,
        sha: row.commit_sha,
        state,
        targetUrl: `${this.deps.settings.publicUrl}/services/${row.service_id}/deployments/${row.id}`,
        description,
      });
    };
    post().catch((error: unknown) =>
      this.deps.logger.warn({ deploymentId: row.id, state, err: error }, 'could not set the GitHub commit status'),
    );
  }
}

function jobStart(job: V1Job | undefined): Date {
  const start = job?.status?.startTime;
  return start ? new Date(start) : new Date();
}

function time(value: Date | string | undefined): number {
  return value ? new Date(value).getTime() : 0;
}

/** The build Job's init container that fetches the pushed commit (templates/build-job.yaml). */
const FETCH_CONTAINER = 'fetch-source';

/**
 * Whether a registry or cluster answer refuses the request itself (its name, its
 * content, the platform's rights), so that asking again cannot succeed: Harbor's
 * and Kubernetes' 400, 401, 403 and 422. A missing namespace (404, not applied
 * yet), a conflict, a timeout or a server error may pass.
 */
export function refusedForGood(error: unknown): boolean {
  const status = error instanceof HarborError ? error.status : error instanceof ApiException ? error.code : undefined;
  return status === 400 || status === 401 || status === 403 || status === 422;
}

/** How the source fetch ended, when it failed. */
function fetchFailure(pod: V1Pod | undefined): V1ContainerStateTerminated | undefined {
  const terminated = pod?.status?.initContainerStatuses?.find((c) => c.name === FETCH_CONTAINER)?.state?.terminated;
  return terminated && terminated.exitCode !== 0 ? terminated : undefined;
}

/** Whether a deployment builds its image (a push or the deploy button), or rolls out one already built (a config change, a rollback). */
function builds(row: Pick<WorkRow, 'trigger'>): boolean {
  return row.trigger === 'push' || row.trigger === 'manual';
}
