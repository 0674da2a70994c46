import { DEPLOYMENT_LABEL } from '@dangus/gitops-writer/labels';
import { shortSha } from '@dangus/gitops-writer/names';
import { lastLiveRelease, rollBack } from '../db/releases.js';
import { changeState } from '../state-repo/state-sink.js';
import { rolloutOutcome } from './cluster-state.js';
import { builds, namespaceOf, type WorkRow } from './deployment-rows.js';
import type { PipelineDeps, PipelineParts } from './pipeline-deps.js';

/**
 * A deployment in `deploying`: its rollout commit, watched until it is `live` or `failed`;
 * a failed rollout takes its service back to the release that was live before.
 */
export class Rollout {
  constructor(
    private readonly deps: Pick<PipelineDeps, 'db' | 'stateSink' | 'cluster' | 'logger'>,
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
    // A built image's rollout commit (again after a restart: the writer writes its env Secret
    // first). A row that rolls out an image already built (a config change, a rollback) was
    // committed with its change, in the transaction that made it: the rollout only watches.
    if (builds(row)) await this.parts.commits.commitOnce(row, `roll out ${shortSha(row.commit_sha)}`, { envSecretOf: row.service_id });
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
   * The rollback a user asks for runs the same routine (db/releases.ts): its rows and
   * its one commit (the writer writes the env Secret first) in one transaction.
   */
  async rollBack(row: WorkRow): Promise<void> {
    const restoreConfig = !builds(row);
    const previous = await changeState(this.deps, async (manager) => {
      const last = await lastLiveRelease(manager, row.service_id, row.id);
      const restore = restoreConfig && last?.release_config && last.release_env ? { config: last.release_config, env: last.release_env } : null;
      if (!last || !(await rollBack(manager, row.service_id, { current: last.id, whileCurrent: row.id, restore }))) return { value: undefined, change: null };
      const change = this.parts.commits.change(row, `roll back to ${shortSha(last.commit_sha)}`, restore ? { envSecretOf: row.service_id } : {});
      return { value: last, change };
    });
    if (previous) this.deps.logger.info({ deploymentId: row.id, to: previous.id, restoreConfig }, 'rolled back to the last live deployment');
  }
}
