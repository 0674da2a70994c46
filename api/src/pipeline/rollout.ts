import { DEPLOYMENT_LABEL } from '@dangus/gitops-writer/labels';
import { shortSha } from '@dangus/gitops-writer/names';
import { rolloutOutcome } from './cluster-state.js';
import { builds, namespaceOf, type WorkRow } from './deployment-rows.js';
import type { PipelineDeps, PipelineParts } from './pipeline-deps.js';

/**
 * A deployment in `deploying`: its rollout commit, watched until it is `live` or `failed`;
 * a failed rollout takes its service back to the release that was live before.
 */
export class Rollout {
  /** Rows that roll out an image already built, whose env Secret this process wrote. */
  private readonly envSecretsWritten = new Set<string>();

  constructor(
    private readonly deps: Pick<PipelineDeps, 'tenantSecrets' | 'cluster' | 'logger'>,
    private readonly parts: Pick<PipelineParts, 'rows' | 'commits' | 'statuses'>,
  ) {}

  async deploying(row: WorkRow): Promise<void> {
    if (row.current_deployment_id !== row.id) {
      const reason = 'superseded by a newer deployment before its rollout finished';
      if (await this.parts.rows.transition(row, ['deploying'], { status: 'failed', reason, finishedAt: new Date() })) {
        this.parts.statuses.post(row, 'error', 'Superseded by a newer deployment');
      }
      return;
    }
    if (!builds(row) && !this.envSecretsWritten.has(row.id)) {
      await this.deps.tenantSecrets.writeEnvSecret(row.service_id);
      this.envSecretsWritten.add(row.id);
    }
    await this.parts.commits.commitOnce(row, `roll out ${shortSha(row.commit_sha)}`);
    const deployment = this.deps.cluster.deployment(namespaceOf(row), row.service_name);
    this.deps.logger.debug({ deploymentId: row.id, labels: deployment?.metadata?.labels, status: deployment?.status }, 'rollout in progress');
    if (deployment?.metadata?.labels?.[DEPLOYMENT_LABEL] !== row.id) return;
    const outcome = rolloutOutcome(deployment, this.deps.cluster.pods(namespaceOf(row), row.id), new Date());
    if (outcome === null) return;
    if (outcome.live) {
      if (await this.parts.rows.transition(row, ['deploying'], { status: 'live', finishedAt: new Date() })) {
        this.parts.statuses.post(row, 'success', 'Live');
      }
      return;
    }
    if (!(await this.parts.rows.transition(row, ['deploying'], { status: 'failed', reason: outcome.reason, finishedAt: new Date() }))) return;
    this.parts.statuses.post(row, 'failure', `Rollout failed: ${outcome.reason}`);
    await this.rollBack(row);
  }

  /**
   * The failed rollout's service goes back to its last live deployment, if it
   * had one (a first deployment that fails stays, so its pods can be looked at).
   * When the failed one changed configuration or env values (a config change, a
   * rollback), those go back to that release's too: a bad value must not keep failing.
   */
  async rollBack(row: WorkRow): Promise<void> {
    const restoreConfig = !builds(row);
    const previous = await this.parts.rows.backToLastLive(row, restoreConfig);
    if (!previous) return;
    this.deps.logger.info({ deploymentId: row.id, to: previous.id, restoreConfig }, 'rolled back to the last live deployment');
    if (restoreConfig) {
      await this.deps.tenantSecrets.writeEnvSecret(row.service_id).catch((error: unknown) =>
        this.deps.logger.warn({ deploymentId: row.id, err: error }, 'could not write the restored env Secret'),
      );
    }
    await this.parts.commits.commit(row, 'failed', `roll back to ${shortSha(previous.commit_sha)}`);
  }

  /** A final row's rollout is done. */
  forget(id: string): void {
    this.envSecretsWritten.delete(id);
  }
}
