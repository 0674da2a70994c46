/**
 * The one seam between the API's use cases and the cluster (issue 2: "cluster
 * side effects behind one small interface"). After a database change commits,
 * the use case tells the sink which tenant changed and why; the gitops-writer
 * re-renders that tenant from the database and commits the state repo.
 */
export interface Actor {
  userId: string;
  githubUsername: string;
}

export interface TenantChange {
  projectId: string;
  /** The namespace, known even after the project row is gone. */
  namespace: string;
  /** Set when the change is about one service. */
  serviceName?: string;
  verb: 'create' | 'update' | 'delete' | 'env' | 'deploy' | 'rollback' | 'restart' | 'reconcile';
  summary: string;
  actor: Actor;
  deploymentId?: string;
  sourceCommit?: string;
}

export interface StateSink {
  tenantChanged(change: TenantChange): Promise<void>;
}

/** Records changes in memory: the default until a writer is configured, and for tests. */
export class RecordingStateSink implements StateSink {
  readonly changes: TenantChange[] = [];

  tenantChanged(change: TenantChange): Promise<void> {
    this.changes.push(change);
    return Promise.resolve();
  }
}
