import { type DeploymentStatus } from '@dangus/common';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { DeploymentEntity, type Deployment, type GitHubStatusState } from '../db/entities/index.js';
import { RELEASE_SNAPSHOT_SQL } from '../db/releases.js';
import { toDeploymentDto } from '../db/deployment-dto.js';
import type { EventBus } from '../events/event-bus.js';

/** A deployment row with what the pipeline needs of its service, project and owner. */
export interface WorkRow {
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
  /** GitHub's id of the repository, once known (the App's tokens are minted for it). */
  github_repository_id: string | null;
  /** Bound only because the repository is public (nobody showed they read it): nothing is written to GitHub for it. */
  github_repository_public_only?: boolean;
  /** The service's public host label (`{host}.{BASE_DOMAIN}`). */
  service_host: string;
  current_deployment_id: string | null;
  webhook_secret: string;
  project_id: string;
  project_name: string;
  /** The project's pinned namespace (db/project-namespace.ts). */
  project_namespace: string;
  user_id: string;
  user_hash: string;
  github_username: string;
  github_id: string;
  github_access_token: string;
}

const ACTIVE: DeploymentStatus[] = ['pending', 'building', 'deploying'];

/** The tenant namespace of a row's project. */
export function namespaceOf(row: WorkRow): string {
  return row.project_namespace;
}

/** Whether a deployment builds its image (a push or the deploy button), or rolls out one already built (a config change, a rollback). */
export function builds(row: Pick<WorkRow, 'trigger'>): boolean {
  return row.trigger === 'push' || row.trigger === 'manual';
}

/**
 * The pipeline's SQL on deployment rows (and the service's current deployment): reads,
 * compare-and-set moves of a row's status, each published to the row's owner when it moved.
 */
export class DeploymentRows {
  constructor(private readonly deps: { db: DataSource; events: EventBus; logger: Logger }) {}

  /** The ids of every row not yet final, oldest first. */
  async active(): Promise<string[]> {
    const rows: { id: string }[] = await this.deps.db.query(`SELECT id FROM deployments WHERE status = ANY($1) ORDER BY created_at`, [ACTIVE]);
    return rows.map((row) => row.id);
  }

  async load(id: string): Promise<WorkRow | undefined> {
    const rows: WorkRow[] = await this.deps.db.query(
      `SELECT d.id, d.service_id, d.commit_sha, d.trigger, d.status, d.reason, d.github_status, d.created_at, d.finished_at,
              s.name AS service_name, s.host AS service_host, s.repo_url, s.github_repository_id::text, s.github_repository_public_only, s.current_deployment_id, s.webhook_secret,
              p.id AS project_id, p.name AS project_name, p.namespace AS project_namespace,
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

  /** Compare-and-set of the row's status; publishes the new row. */
  async transition(
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

  /**
   * Marks a pending build as taken up by the pipeline: from now on its Job is rendered into the
   * state repo (tenant-loader.ts). Without a pipeline no row is marked, so no Job is committed.
   */
  async wantBuildJob(row: WorkRow): Promise<void> {
    await this.deps.db.query(`UPDATE deployments SET build_job_at = now() WHERE id = $1 AND build_job_at IS NULL`, [row.id]);
  }

  /** Replaces the row's reason while its status and reason are still those read; publishes the row when it changed. */
  async setReason(row: WorkRow, reason: string | null): Promise<void> {
    const result: [unknown[], number] = await this.deps.db.query(
      `UPDATE deployments SET reason = $3, updated_at = now() WHERE id = $1 AND status = $2 AND reason IS NOT DISTINCT FROM $4`,
      [row.id, row.status, reason, row.reason],
    );
    if (result[1] === 1) await this.published(row);
  }

  /**
   * A built row moves to `deploying` with its image and the release it rolls out, and becomes
   * its service's current deployment, in one transaction; false when it had moved already.
   */
  async startRollout(row: WorkRow, image: string, digest: string): Promise<boolean> {
    return this.deps.db.transaction(async (manager) => {
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
  }

  /** The end of the row's stored build log (its last 2000 characters). */
  async logTail(id: string): Promise<string> {
    const rows: { tail: string | null }[] = await this.deps.db.query(`SELECT right(build_logs, 2000) AS tail FROM deployments WHERE id = $1`, [id]);
    return rows[0]?.tail ?? '';
  }

  /** The service's env values, still encrypted. */
  async encryptedEnvValues(serviceId: string): Promise<string[]> {
    const env: { value: string }[] = await this.deps.db.query(`SELECT value FROM env_vars WHERE service_id = $1`, [serviceId]);
    return env.map((entry) => entry.value);
  }

  /** Records the commit status set on GitHub; false when the row had it already. */
  async recordGitHubStatus(id: string, state: GitHubStatusState): Promise<boolean> {
    const result: [unknown[], number] = await this.deps.db.query(
      `UPDATE deployments SET github_status = $2 WHERE id = $1 AND github_status IS DISTINCT FROM $2`,
      [id, state],
    );
    return result[1] === 1;
  }

  /** Tells the row's owner (the UI, over SSE) what the row is now. */
  async published(row: WorkRow): Promise<void> {
    const fresh = await this.deps.db.getRepository(DeploymentEntity).findOneBy({ id: row.id });
    if (fresh) this.deps.events.deploymentChanged({ userId: row.user_id, deployment: toDeploymentDto(fresh) });
  }
}
