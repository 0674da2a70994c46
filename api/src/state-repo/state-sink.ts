import type { EntityManager } from 'typeorm';

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

/** A change recorded in its transaction, to settle once that transaction committed. */
export interface PendingChange {
  change: TenantChange;
  /** The outbox row, when the change was recorded as an intent. */
  intentId?: string;
}

export interface StateSink {
  /**
   * Records the change inside the caller's transaction (`manager`): with the outbox,
   * the intent row commits with the change or not at all.
   */
  record(manager: EntityManager, change: TenantChange): Promise<PendingChange>;
  /** After that transaction committed: makes the commit, or waits for the controller's. */
  settle(pending: PendingChange): Promise<void>;
  /** Both at once, for a change whose rows are already written (the pipeline's deploys). */
  tenantChanged(change: TenantChange): Promise<void>;
}

/** Records changes in memory: the default until a writer is configured, and for tests. */
export class RecordingStateSink implements StateSink {
  readonly changes: TenantChange[] = [];

  record(_manager: EntityManager, change: TenantChange): Promise<PendingChange> {
    return Promise.resolve({ change });
  }

  settle(pending: PendingChange): Promise<void> {
    this.changes.push(pending.change);
    return Promise.resolve();
  }

  tenantChanged(change: TenantChange): Promise<void> {
    this.changes.push(change);
    return Promise.resolve();
  }
}
