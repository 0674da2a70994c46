import { DEPLOYMENT_LABEL } from '@dangus/gitops-writer/labels';
import { buildJobName, buildSecretName, imageRepository, shortSha } from '@dangus/gitops-writer/names';
import type { DeploymentStatus } from '@dangus/common';
import { ApiException, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { wasSuperseded } from '../db/deployments-repo.js';
import { HarborError } from '../registry/harbor-api.js';
import type { LogTarget } from './build-logs.js';
import { BuildSource } from './build-source.js';
import { dockerConfigJson } from './cluster-secrets.js';
import { FETCH_CONTAINER, buildDigest, buildOutcome, fetchFailure, jobStarted } from './cluster-state.js';
import { namespaceOf, type WorkRow } from './deployment-rows.js';
import type { PipelineDeps, PipelineParts } from './pipeline-deps.js';
import { Redactor } from './redact.js';

/**
 * A deployment that builds, from `pending` to `deploying` or `failed`: the build's
 * credentials (its Secret, the tenant's pull Secret), the Job's commit, its log, and on
 * success the rollout's commit of the image it pushed.
 */
export class BuildPhase {
  private readonly credentialsWritten = new Set<string>();
  /** Why a build's Secret could not be written yet (Harbor or the cluster refusing): the reason if the build then fails. */
  private readonly secretErrors = new Map<string, string>();
  /** The fetch step's token: the GitHub App's for one repository, else the owner's. */
  private readonly source: BuildSource;

  constructor(
    private readonly deps: PipelineDeps,
    private readonly parts: PipelineParts,
  ) {
    this.source = new BuildSource(deps);
  }

  // --- pending: the Job is committed, waiting for the cluster to run it -------------

  async pending(row: WorkRow): Promise<void> {
    if (!this.credentialsWritten.has(row.id) && !(await this.writeCredentials(row))) return;
    // The Job enters the state repo only once a pipeline runs the build (no cluster: never).
    if (!this.parts.commits.hasCommitted(row)) await this.parts.rows.wantBuildJob(row);
    await this.parts.commits.commitOnce(row, `build ${shortSha(row.commit_sha)}`);
    this.parts.statuses.post(row, 'pending', 'Building');
    const job = this.ownJob(row);
    if (job && (jobStarted(job) || buildOutcome(job))) {
      const started = await this.parts.rows.transition(row, ['pending'], { status: 'building', startedAt: jobStart(job) });
      if (started) this.parts.statuses.building(row);
      if (started) await this.building({ ...row, status: 'building' });
      return;
    }
    // Not started yet, and the App uninstalled (or the repository removed from it) since: it fails now, saying so.
    if (this.deps.githubApp) {
      const access = await this.source.access(row);
      if (access.via === 'refused') {
        await this.buildFailed(row, ['pending'], access.reason, null);
        return;
      }
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
   * Writes the build's Secret (and the tenant's pull Secret); false when the build failed
   * for good instead. A failure that may pass is retried later and the build goes on.
   */
  private async writeCredentials(row: WorkRow): Promise<boolean> {
    const ns = namespaceOf(row);
    try {
      const owner = { serviceId: row.service_id, deploymentId: row.id };
      const registry = await this.deps.registries.credentialsFor(row.project_id, ns);
      const source = await this.source.tokenFor(row);
      if ('refused' in source) {
        // Nothing can read the repository: the build fails with the reason, not in its fetch step.
        await this.buildFailed(row, ['pending'], source.refused, null);
        return false;
      }
      const dockerConfig = dockerConfigJson(this.deps.settings.harborHost, registry);
      // The tenant's pull Secret, from the same credential: per tenant, its own robot, so
      // its pods pull only its images.
      await this.deps.tenantSecrets.writePullSecret(row.project_id, ns, registry);
      await this.deps.secrets.createBuildSecret(ns, buildSecretName(row.service_name, row.commit_sha), owner, {
        gitToken: source.token,
        dockerConfigJson: dockerConfig,
      });
      this.credentialsWritten.add(row.id);
      this.secretErrors.delete(row.id);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (refusedForGood(error)) {
        // Asking again gets the same answer: the deployment fails now with the reason, not at the deadline.
        this.deps.logger.warn({ deploymentId: row.id, err: error }, 'the build cannot get its credentials: failing it');
        await this.buildFailed(row, ['pending'], `the build could not get its credentials: ${message}`, null);
        return false;
      }
      // The namespace may not be applied yet: the Job's pod waits for its Secret, and the next pass writes it.
      this.deps.logger.warn({ deploymentId: row.id, err: error }, 'could not write the build Secret yet');
      this.secretErrors.set(row.id, message);
      this.parts.queue.retryLater(row.id);
    }
    return true;
  }

  /**
   * While a started build has no pod because the quota refused one, the row's reason says
   * so ("Waiting: …"), and the row is looked at again soon; the pod's arrival clears it.
   */
  private async sayWhyWaiting(row: WorkRow, pod: V1Pod | undefined): Promise<void> {
    const waiting = row.reason?.startsWith('Waiting:') === true;
    let reason: string | null = null;
    if (!pod && this.deps.buildWaiting) {
      reason = await this.deps.buildWaiting(namespaceOf(row), buildJobName(row.service_name, row.commit_sha)).catch((error: unknown) => {
        this.deps.logger.debug({ deploymentId: row.id, err: error }, 'could not read why the build waits');
        return null;
      });
      this.parts.queue.retryLater(row.id);
    }
    if (reason === row.reason || (reason === null && !waiting)) return;
    await this.parts.rows.setReason(row, reason);
  }

  // --- building: follow its log until the Job ends ---------------------------------

  async building(row: WorkRow): Promise<void> {
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
    // The registry's push notification (registry-events.ts) is recorded and matched, but the
    // rollout waits for Kaniko's own digest: every build of a tenant holds the tenant's push
    // credential, so another build of the project could push this build's tag first, and
    // only this build's Kaniko can say which digest it built (docs/architecture.md).
    if (outcome === null) return;
    if (outcome.succeeded) await this.buildSucceeded(row, target, pod);
    else await this.buildFailed(row, ['building'], outcome.timedOut ? `the build timed out after ${String(this.deps.settings.buildDeadlineSeconds)} s` : null, target, pod);
  }

  private async buildSucceeded(row: WorkRow, target: LogTarget | null, pod: V1Pod | undefined): Promise<void> {
    const ns = namespaceOf(row);
    // Deploy by digest: the tag is the commit, which anyone holding push rights could
    // overwrite; the digest is what this build pushed.
    const digest = buildDigest(pod);
    if (digest === null) {
      const reason = 'the build ended without reporting the digest of the image it pushed (Kaniko writes it to its termination message)';
      await this.buildFailed(row, ['pending', 'building'], reason, target, pod);
      return;
    }
    // Independent, and both before the row moves: the log is whole once a row is past `building`.
    // Kaniko read its credentials when it pushed: its Secret goes now in either case.
    const redactor = await this.redactor(row);
    await Promise.all([
      this.deps.logs.complete(target, redactor, row.id),
      this.deps.secrets.deleteSecret(ns, buildSecretName(row.service_name, row.commit_sha)),
    ]);
    const image = `${imageRepository(this.deps.settings, ns, row.service_name)}:${row.commit_sha}@${digest}`;
    if (!(await this.parts.rows.startRollout(row, image, digest))) return;
    await this.parts.rows.published(row);
    // The new pods must find their env Secret: the writer writes it before this commit.
    await this.parts.commits.commit(row, 'deploying', `roll out ${shortSha(row.commit_sha)}`, { envSecretOf: row.service_id });
    this.parts.statuses.post(row, 'pending', 'Built: rolling out');
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
      this.deps.secrets.deleteSecret(namespaceOf(row), buildSecretName(row.service_name, row.commit_sha)),
    ]);
    const secretError = this.secretErrors.get(row.id);
    this.secretErrors.delete(row.id);
    const because = reason ?? (secretError === undefined ? await this.buildFailure(row, pod) : `the build could not get its credentials: ${secretError}`);
    if (!(await this.parts.rows.transition(row, from, { status: 'failed', reason: because, finishedAt: new Date() }))) return;
    await this.parts.commits.commit(row, 'failed', `build ${shortSha(row.commit_sha)} failed`);
    this.parts.statuses.post(row, 'failure', `Build failed: ${because}`);
  }

  /** "the build failed (exit code 1): <its last log line>" (or "fetching the source failed …"). */
  private async buildFailure(row: WorkRow, pod: V1Pod | undefined): Promise<string> {
    const fetch = fetchFailure(pod);
    const terminated = fetch ?? pod?.status?.containerStatuses?.[0]?.state?.terminated;
    const tail = await this.parts.rows.logTail(row.id);
    const last = tail.split('\n').map((line) => line.trim()).filter(Boolean).pop();
    const code = terminated ? ` (exit code ${String(terminated.exitCode)})` : '';
    if (fetch && this.deps.githubApp) {
      const access = await this.source.access(row).catch(() => undefined);
      if (access?.via === 'refused') return access.reason;
    }
    const what = fetch ? `fetching commit ${shortSha(row.commit_sha)} of ${row.repo_url} failed` : 'the build failed';
    return `${what}${code}${last ? `: ${last.slice(0, 300)}` : ''}`;
  }

  // --- a failed build, final: tidy what a crash or a supersede may have left ---------

  async tidyFailed(row: WorkRow): Promise<void> {
    const pod = this.buildPod(row);
    if (this.deps.logs.isFollowing(row.id)) await this.deps.logs.complete(pod ? this.logTarget(row, pod) : null, await this.redactor(row), row.id);
    await this.deps.secrets.deleteSecret(namespaceOf(row), buildSecretName(row.service_name, row.commit_sha));
    if (wasSuperseded(row.reason) && row.github_status !== 'error') this.parts.statuses.post(row, 'error', `Superseded: ${row.reason}`);
  }

  /** A final row's build is done. */
  forget(id: string): void {
    this.credentialsWritten.delete(id);
    this.source.forget(id);
  }

  // --- helpers ------------------------------------------------------------------------

  private ownJob(row: WorkRow): V1Job | undefined {
    const job = this.deps.cluster.job(namespaceOf(row), buildJobName(row.service_name, row.commit_sha));
    return job?.metadata?.labels?.[DEPLOYMENT_LABEL] === row.id ? job : undefined;
  }

  private buildPod(row: WorkRow): V1Pod | undefined {
    const jobName = buildJobName(row.service_name, row.commit_sha);
    const pods = this.deps.cluster
      .pods(namespaceOf(row), row.id)
      .filter((pod) => pod.metadata?.labels?.['job-name'] === jobName || pod.metadata?.labels?.['batch.kubernetes.io/job-name'] === jobName);
    // backoffLimit is 0: one pod, or its replacement after an eviction (the newest counts).
    return pods.sort((a, b) => time(b.metadata?.creationTimestamp) - time(a.metadata?.creationTimestamp))[0];
  }

  private logTarget(row: WorkRow, pod: V1Pod): LogTarget {
    return {
      key: row.id,
      namespace: namespaceOf(row),
      pod: pod.metadata?.name ?? '',
      container: pod.spec?.containers[0]?.name ?? 'kaniko',
    };
  }

  /** Every value that must not appear in a stored or streamed log. */
  private async redactor(row: WorkRow): Promise<Redactor> {
    const env = await this.parts.rows.encryptedEnvValues(row.service_id);
    const registry = await this.deps.registries.existing(row.project_id);
    return new Redactor([
      ...this.source.secrets(row),
      this.deps.encryptor.decrypt(row.webhook_secret),
      ...(registry ? [registry.password, Buffer.from(`${registry.username}:${registry.password}`).toString('base64')] : []),
      ...env.map((value) => this.deps.encryptor.decrypt(value)),
    ]);
  }
}

function jobStart(job: V1Job | undefined): Date {
  const start = job?.status?.startTime;
  return start ? new Date(start) : new Date();
}

function time(value: Date | string | undefined): number {
  return value ? new Date(value).getTime() : 0;
}

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
