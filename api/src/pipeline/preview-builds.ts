import { previewName } from '@dangus/gitops-writer';
import { DEPLOYMENT_LABEL } from '@dangus/gitops-writer/labels';
import { buildJobName, buildSecretName, envSecretName, imageRepository, shortSha } from '@dangus/gitops-writer/names';
import type { V1Pod } from '@kubernetes/client-node';
import type { EntityManager } from 'typeorm';
import type { TenantChange } from '../state-repo/state-sink.js';
import { BuildLogs, previewLogStore, type LogSource, type LogTarget } from './build-logs.js';
import { BuildSource } from './build-source.js';
import { buildCredentialValues, dockerConfigJson, type BuildCredentials } from './cluster-secrets.js';
import { buildDigest, buildLogContainer, buildOutcome, jobStarted, rolloutOutcome } from './cluster-state.js';
import type { WorkRow } from './deployment-rows.js';
import { KeyedQueue } from './keyed-queue.js';
import { previewSeed, stalePreviewEnv } from './preview-seed.js';
import type { PipelineDeps } from './pipeline-deps.js';
import { Redactor } from './redact.js';

/** A preview that builds, with what its build needs. */
interface BuildingPreview {
  id: string;
  number: number;
  state: 'pending' | 'building';
  headSha: string;
  /** The image its last build pushed: of the head commit once built, while it rolls out. */
  image: string | null;
  serviceId: string;
  serviceName: string;
  repoUrl: string;
  githubRepositoryId: string | null;
  projectId: string;
  projectName: string;
  /** The project's pinned namespace. */
  namespace: string;
  /** The pull request's head is in another repository (a fork). */
  fork: boolean;
  githubId: string;
  githubAccessToken: string;
}

/** The build whose Secret (and registry credential) the controller wrote, per preview: a row of `preview_build_secrets`, so a restart forgets none. */
interface Written {
  sha: string;
  namespace: string;
  secret: string;
  /** The one-repository credential minted for it (bundled registry), revoked when it ends. */
  credential: string | null;
}

const SELECT = `SELECT p.id, p.pr_number AS number, p.state, p.head_sha AS "headSha", p.image, p.fork, s.id AS "serviceId", s.name AS "serviceName",
       s.repo_url AS "repoUrl", s.github_repository_id::text AS "githubRepositoryId", s.project_id AS "projectId", pr.name AS "projectName", pr.namespace,
       u.github_id::text AS "githubId", u.github_access_token AS "githubAccessToken"
  FROM previews p JOIN services s ON s.id = p.service_id JOIN projects pr ON pr.id = s.project_id JOIN users u ON u.id = s.user_id
 WHERE p.closed_at IS NULL AND p.state IN ('pending', 'building') AND u.status = 'active'`;

/** Why a fork's preview is not built without the bundled registry's token server. */
export const FORK_NEEDS_TOKEN_SERVER =
  "A fork's preview is built only with the bundled registry (REGISTRY_MODE=bundled), whose build credential reaches the preview's own image repository alone; with this registry the build's credential would reach the service's images.";

/** Margin of a build credential's life past the build's deadline (the pod may start late). */
const CREDENTIAL_MARGIN_SECONDS = 600;

/**
 * The builds of previews of pull requests (issue 35, docs/architecture.md#previews) on the
 * leading controller, beside the deployments' pipeline and through the same Job: the renderer
 * commits the preview's build Job (the same template: Kaniko, the deadline, the limits, the
 * build egress policy, the git token in the fetch step only), and this writes its Secret
 * first, then follows the Job: `pending → building`, and on success the image it pushed (by
 * digest) goes on the row and the commit that follows rolls the preview's Deployment out
 * (`live`); on failure `failed`, with the reason. The registry credential it gets pushes to the
 * preview's own repository only: in the bundled mode a credential minted for that one build
 * and repository, revoked when the build ends (Harbor's robots are scoped to a whole project:
 * there, previews' images only live under their own repository path). A newer push
 * supersedes: the old build's Secret and credential go, its Job leaves the tree with it.
 */
export class PreviewBuilds {
  private readonly queue: KeyedQueue;
  private readonly source: BuildSource;
  /** Each build's log, into `preview_build_logs` as it streams (redacted as a deployment's is). */
  private readonly logs: BuildLogs;
  /** Each build's own credentials (git token, registry credential), by log key: masked in its log; read back from its Secret after a restart. */
  private readonly buildSecrets = new Map<string, string[]>();
  private resync: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: Omit<PipelineDeps, 'events' | 'logs'> & {
      /** Where build pods' logs are read (the apiserver). */
      logSource: LogSource;
      /** A preview's build ended (`live` or `failed`): GitHub is told (the controller wires it). */
      onFinished?: (previewId: string) => Promise<void>;
    },
  ) {
    this.source = new BuildSource(deps);
    this.logs = new BuildLogs({ store: previewLogStore(deps.db), source: deps.logSource, logger: deps.logger });
    this.queue = new KeyedQueue({
      concurrency: 2,
      work: (id) => this.reconcile(id),
      onError: (id, error) => deps.logger.warn({ previewId: id, err: error }, 'preview build reconcile failed: will retry'),
    });
  }

  start(): void {
    this.reconcileActive();
    this.resync = setInterval(() => this.reconcileActive(), this.deps.settings.resyncMs ?? 30_000);
    this.resync.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.resync);
    await Promise.race([this.queue.drain(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    await this.logs.stop();
  }

  /** A labelled object changed (its `dangus.cloud/deployment` label is a preview's id), or a preview changed. */
  kick(id: string): void {
    this.queue.add(id);
  }

  /** Every preview that builds, and every one whose build this process left behind (superseded, closed). */
  reconcileActive(): void {
    this.deps.db
      .query<{ id: string }[]>(
        `SELECT p.id FROM previews p WHERE p.closed_at IS NULL AND p.state IN ('pending', 'building') UNION SELECT preview_id FROM preview_build_secrets`,
      )
      .then((rows) => {
        for (const row of rows) this.kick(row.id);
      })
      .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'could not list the previews that build'));
  }

  idle(): Promise<void> {
    return this.queue.drain();
  }

  async reconcile(id: string): Promise<void> {
    const [preview] = await this.deps.db.query<BuildingPreview[]>(`${SELECT} AND p.id = $1`, [id]);
    const written = await this.writtenFor(id);
    // Superseded by a newer push, closed, or built: the old build's Secret and credential go.
    const current = written && written.sha !== preview?.headSha ? (await this.tidy(id, written), null) : written;
    if (!preview) {
      // It runs no more: its env Secret (the seeded values) goes with its pods.
      const stale = await stalePreviewEnv(this.deps.db, id);
      if (stale) await this.deps.secrets.deleteSecret(stale.namespace, envSecretName(previewName(stale.serviceName, stale.number)));
      return;
    }
    const namespace = preview.namespace;
    const name = previewName(preview.serviceName, preview.number);
    // Built: its Deployment rolls out, and it is live once the new pods are ready.
    if (preview.image?.includes(`:${preview.headSha}@`)) {
      await this.rollout(preview, namespace, name);
      return;
    }
    if (!current && !(await this.writeCredentials(preview, namespace, name))) return;
    const jobName = buildJobName(name, preview.headSha);
    const found = this.deps.cluster.job(namespace, jobName);
    const job = found?.metadata?.labels?.[DEPLOYMENT_LABEL] === id ? found : undefined;
    if (!job) {
      this.queue.retryLater(id);
      return;
    }
    const pod = this.buildPod(namespace, id, jobName);
    const target: LogTarget | null = pod ? { key: logKey(id, preview.headSha), namespace, pod: pod.metadata?.name ?? '', container: buildLogContainer(pod) } : null;
    // Followed while it runs; once it ended, the final read below takes the rest.
    if (target && pod?.status?.phase === 'Running' && !this.logs.isFollowing(target.key)) await this.logs.follow(target, await this.redactor(preview, current));
    const outcome = buildOutcome(job, pod);
    if (outcome === null) {
      if (preview.state === 'pending' && jobStarted(job)) await this.move(preview, 'building', null);
      return;
    }
    // The log is whole before the row says how the build ended.
    await this.logs.complete(target, await this.redactor(preview, current), logKey(id, preview.headSha));
    const digest = outcome.succeeded ? buildDigest(pod) : null;
    if (digest === null) {
      const reason = outcome.succeeded
        ? 'the build ended without reporting the digest of the image it pushed'
        : outcome.timedOut
          ? `the build timed out after ${String(this.deps.settings.buildDeadlineSeconds)} s`
          : `the build of ${shortSha(preview.headSha)} failed${exitCode(pod)}`;
      await this.finish(preview, 'failed', reason, null, `pr #${String(preview.number)} build ${shortSha(preview.headSha)} failed`);
      return;
    }
    // Its pods read their own env Secret (only the values of the service's seeded keys, as they are
    // now; none for an unapproved fork), and pull with the tenant's pull Secret.
    const seed = await previewSeed(this.deps.db, this.deps.encryptor, preview.id, preview.headSha);
    if (seed.missing.length > 0) this.deps.logger.info({ previewId: preview.id, missing: seed.missing }, 'seeded env keys the service does not have');
    await this.deps.secrets.applyEnvSecret(namespace, envSecretName(name), preview.serviceId, seed.env);
    await this.deps.tenantSecrets.writePullSecret(preview.projectId, namespace);
    const image = `${imageRepository(this.deps.settings, namespace, name)}:${preview.headSha}@${digest}`;
    await this.finish(preview, 'building', `rolling out ${shortSha(preview.headSha)}`, image, `pr #${String(preview.number)} roll out ${shortSha(preview.headSha)}`);
  }

  /**
   * A built preview's rollout, judged as a service's is (`rolloutOutcome`: the Deployment of
   * its commit, its new pods ready; past the progress deadline, crash-looping or unable to pull
   * is failed): `live`, or `failed` with the reason. There is no earlier release to roll back to.
   */
  private async rollout(preview: BuildingPreview, namespace: string, name: string): Promise<void> {
    const deployment = this.deps.cluster.deployment(namespace, name);
    if (deployment?.metadata?.labels?.[DEPLOYMENT_LABEL] !== preview.id || !deployment.spec?.template.spec?.containers[0]?.image?.includes(`:${preview.headSha}@`)) return;
    const outcome = rolloutOutcome(deployment, this.deps.cluster.pods(namespace, preview.id), new Date());
    if (outcome === null) return;
    const [state, reason] = outcome.live ? (['live', null] as const) : (['failed', `the rollout of ${shortSha(preview.headSha)} failed: ${outcome.reason}`] as const);
    const [rows] = await this.deps.db.query<[{ id: string }[], number]>(
      `UPDATE previews SET state = $3, reason = $4, updated_at = now() WHERE id = $1 AND head_sha = $2 AND state = 'building' AND closed_at IS NULL RETURNING id`,
      [preview.id, preview.headSha, state, reason],
    );
    if (rows[0]) await this.deps.onFinished?.(preview.id).catch((error: unknown) => this.deps.logger.warn({ previewId: preview.id, err: error }, 'could not report a preview build'));
  }

  /** The build's Secret: a git token for the fetch step, and a registry credential for the preview's repository only. */
  private async writeCredentials(preview: BuildingPreview, namespace: string, name: string): Promise<boolean> {
    const row = asWorkRow(preview);
    const source = await this.source.tokenFor(row);
    if ('refused' in source) {
      await this.finish(preview, 'failed', source.refused, null, `pr #${String(preview.number)} build ${shortSha(preview.headSha)} failed`);
      return false;
    }
    const tokens = this.deps.registries.tokens;
    // Without the token server (Harbor, or one shared credential) the only push credential is
    // the tenant's, which reaches the service's own images and build cache: a fork's code,
    // whose RUN steps can read it, is never given it.
    if (!tokens && preview.fork) {
      await this.finish(preview, 'failed', FORK_NEEDS_TOKEN_SERVER, null, `pr #${String(preview.number)} build ${shortSha(preview.headSha)} refused`);
      return false;
    }
    // The repository's path on the registry (no host): `{project}/{name}` or `{project}/{namespace}/{name}`.
    const repository = imageRepository(this.deps.settings, namespace, name).slice(this.deps.settings.harborHost.length + 1);
    const minted = tokens ? await tokens.builds.mint(repository, this.deps.settings.buildDeadlineSeconds + CREDENTIAL_MARGIN_SECONDS) : null;
    const registry = minted ?? (await this.deps.registries.credentialsFor(preview.projectId, namespace));
    const secret = buildSecretName(name, preview.headSha);
    const credentials: BuildCredentials = { gitToken: source.token, dockerConfigJson: dockerConfigJson(this.deps.settings.harborHost, registry) };
    // The preview's log is of this build from now on (before the Secret: a crash after it leaves no build without its row).
    await this.deps.db.query(
      `INSERT INTO preview_build_logs (preview_id, head_sha) VALUES ($1, $2)
       ON CONFLICT (preview_id) DO UPDATE SET head_sha = $2, log = '', complete = false, started_at = now()`,
      [preview.id, preview.headSha],
    );
    this.buildSecrets.set(logKey(preview.id, preview.headSha), buildCredentialValues(credentials));
    try {
      await this.deps.secrets.createBuildSecret(namespace, secret, { serviceId: preview.serviceId, deploymentId: preview.id }, credentials);
    } catch (error) {
      if (minted) await tokens?.builds.revoke(minted.username);
      // The namespace may not be applied yet: the next pass writes it.
      this.deps.logger.warn({ previewId: preview.id, err: error }, 'could not write the preview build Secret yet');
      this.queue.retryLater(preview.id);
      return false;
    }
    await this.deps.db.query(
      `INSERT INTO preview_build_secrets (preview_id, head_sha, namespace, secret, credential) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (preview_id) DO UPDATE SET head_sha = $2, namespace = $3, secret = $4, credential = $5, created_at = now()`,
      [preview.id, preview.headSha, namespace, secret, minted?.username ?? null],
    );
    return true;
  }

  private async move(preview: BuildingPreview, state: 'building', reason: string | null): Promise<void> {
    await this.deps.db.query(`UPDATE previews SET state = $3, reason = $4, updated_at = now() WHERE id = $1 AND head_sha = $2 AND state = 'pending'`, [
      preview.id,
      preview.headSha,
      state,
      reason,
    ]);
  }

  /** The build ended: the row says how (only if it still builds this head), one commit follows, the Secret and credential go. */
  private async finish(preview: BuildingPreview, state: 'building' | 'failed', reason: string | null, image: string | null, summary: string): Promise<void> {
    const pending = await this.deps.db.transaction(async (manager) => {
      const [rows] = await manager.query<[{ id: string }[], number]>(
        `UPDATE previews SET state = $3, reason = $4, image = COALESCE($5, image), updated_at = now()
          WHERE id = $1 AND head_sha = $2 AND closed_at IS NULL AND state IN ('pending', 'building') RETURNING id`,
        [preview.id, preview.headSha, state, reason, image],
      );
      const change = rows[0] ? await previewChange(manager, preview.serviceId, summary) : null;
      return change ? this.deps.stateSink.record(manager, change) : null;
    });
    if (pending) await this.deps.stateSink.settle(pending);
    const written = await this.writtenFor(preview.id);
    if (written) await this.tidy(preview.id, written);
    if (pending && state === 'failed') await this.deps.onFinished?.(preview.id).catch((error: unknown) => this.deps.logger.warn({ previewId: preview.id, err: error }, 'could not report a preview build'));
  }

  private async writtenFor(id: string): Promise<Written | null> {
    const [row] = await this.deps.db.query<Written[]>(
      `SELECT head_sha AS sha, namespace, secret, credential FROM preview_build_secrets WHERE preview_id = $1`,
      [id],
    );
    return row ?? null;
  }

  /** The build's Secret and credential go, then its row (so a crash between retries them). */
  private async tidy(id: string, written: Written): Promise<void> {
    // A superseded or closed build's log ends where it stopped (a finished one is whole already).
    await this.logs.complete(null, new Redactor([]), logKey(id, written.sha));
    this.source.forget(id);
    this.buildSecrets.delete(logKey(id, written.sha));
    await this.deps.secrets.deleteSecret(written.namespace, written.secret);
    if (written.credential) await this.deps.registries.tokens?.builds.revoke(written.credential);
    await this.deps.db.query(`DELETE FROM preview_build_secrets WHERE preview_id = $1 AND head_sha = $2`, [id, written.sha]);
  }

  /**
   * Every value that must not appear in a preview's build log: the build's own credentials (its
   * git token, its registry credential: read back from its Secret when this process did not
   * write it, after a restart or a change of leader), and the tenant's registry credential.
   * The same values every time, so each pass over the log produces the same text.
   */
  private async redactor(preview: BuildingPreview, written: Written | null): Promise<Redactor> {
    const key = logKey(preview.id, preview.headSha);
    let own = this.buildSecrets.get(key);
    if (!own && written?.sha === preview.headSha) {
      const stored = await this.deps.secrets.readBuildSecret(written.namespace, written.secret);
      own = stored ? buildCredentialValues(stored) : [];
      if (stored) this.buildSecrets.set(key, own);
    }
    const registry = await this.deps.registries.existing(preview.projectId);
    return new Redactor([
      ...this.source.secrets(asWorkRow(preview)),
      ...(own ?? []),
      ...(registry ? [registry.password, Buffer.from(`${registry.username}:${registry.password}`).toString('base64')] : []),
    ]);
  }

  private buildPod(namespace: string, id: string, jobName: string): V1Pod | undefined {
    const pods = this.deps.cluster
      .pods(namespace, id)
      .filter((pod) => pod.metadata?.labels?.['job-name'] === jobName || pod.metadata?.labels?.['batch.kubernetes.io/job-name'] === jobName);
    return pods.sort((a, b) => time(b.metadata?.creationTimestamp) - time(a.metadata?.creationTimestamp))[0];
  }
}

/** The state-repo change of a preview (`preview(ns/svc): pr #12 …`), by the service's owner, as preview-events.ts makes it. */
async function previewChange(manager: EntityManager, serviceId: string, summary: string): Promise<TenantChange | null> {
  const [row] = await manager.query<{ projectId: string; namespace: string; name: string; userId: string; login: string }[]>(
    `SELECT s.project_id AS "projectId", p.namespace, s.name, s.user_id AS "userId", u.github_username AS login
       FROM services s JOIN projects p ON p.id = s.project_id JOIN users u ON u.id = s.user_id WHERE s.id = $1`,
    [serviceId],
  );
  if (!row) return null;
  return {
    projectId: row.projectId,
    namespace: row.namespace,
    serviceName: row.name,
    verb: 'preview',
    summary,
    actor: { userId: row.userId, githubUsername: row.login },
  };
}

/** The fields of a deployment row the fetch token is chosen by (build-source.ts), for a preview's build. */
function asWorkRow(preview: BuildingPreview): WorkRow {
  return {
    id: preview.id,
    service_id: preview.serviceId,
    repo_url: preview.repoUrl,
    github_repository_id: preview.githubRepositoryId,
    github_id: preview.githubId,
    github_access_token: preview.githubAccessToken,
  } as WorkRow;
}

/** A preview build's log in its store: the build of one head commit. */
function logKey(previewId: string, headSha: string): string {
  return `${previewId}:${headSha}`;
}

function exitCode(pod: V1Pod | undefined): string {
  const terminated = pod?.status?.containerStatuses?.find((c) => c.name === 'kaniko')?.state?.terminated;
  return terminated ? ` (exit code ${String(terminated.exitCode)})` : '';
}

function time(value: Date | string | undefined): number {
  return value ? new Date(value).getTime() : 0;
}
