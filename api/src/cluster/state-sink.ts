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
  /** The service whose env Secret the cluster must have before this commit (an env change, a rollback). */
  envSecretOf?: string;
  /** A deleted service whose Secrets (env, builds in flight) leave the cluster after this commit. */
  deletedService?: { namespace: string; name: string; buildShas: string[] };
}

/** What the controller's pipeline does around a commit, for changes that need the cluster. */
export interface CommitEffects {
  writeEnvSecret(serviceId: string): Promise<void>;
  serviceDeleted(service: { namespace: string; name: string; buildShas: string[] }): Promise<void>;
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
