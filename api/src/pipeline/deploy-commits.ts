import type { DeploymentStatus } from '@dangus/common';
import type { StateSink, TenantChange } from '../state-repo/state-sink.js';
import { namespaceOf, type WorkRow } from './deployment-rows.js';

/**
 * The pipeline's commits of a deployment's tenant (a Job to build, an image to roll out, a
 * rollback), through the door the use cases use: each is an intent of the outbox, committed
 * by the leading controller's writer like a user's change.
 */
export class DeployCommits {
  /** The row status whose tenant commit this process asked for (a repeat is a no-op commit anyway). */
  private readonly committed = new Map<string, DeploymentStatus>();

  constructor(private readonly stateSink: StateSink) {}

  /** Whether this process committed the row's tenant for the row's present status. */
  hasCommitted(row: WorkRow): boolean {
    return this.committed.get(row.id) === row.status;
  }

  /** Commits the row's tenant unless this process did for the row's present status. */
  async commitOnce(row: WorkRow, summary: string, extra: Pick<TenantChange, 'envSecretOf'> = {}): Promise<void> {
    if (this.hasCommitted(row)) return;
    await this.commit(row, row.status, summary, extra);
  }

  async commit(row: WorkRow, status: DeploymentStatus, summary: string, extra: Pick<TenantChange, 'envSecretOf'> = {}): Promise<void> {
    await this.stateSink.tenantChanged(this.change(row, summary, extra));
    this.committed.set(row.id, status);
  }

  /** The change of the row's tenant, by its owner, about this deployment. */
  change(row: WorkRow, summary: string, extra: Pick<TenantChange, 'envSecretOf'> = {}): TenantChange {
    return {
      projectId: row.project_id,
      namespace: namespaceOf(row),
      serviceName: row.service_name,
      verb: 'deploy',
      summary,
      actor: { userId: row.user_id, githubUsername: row.github_username },
      deploymentId: row.id,
      sourceCommit: row.commit_sha,
      ...extra,
    };
  }

  /** A final row's commits are done. */
  forget(id: string): void {
    this.committed.delete(id);
  }
}
