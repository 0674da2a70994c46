import type { DataSource, EntityManager } from 'typeorm';
import { shareRequestOrigin } from '../db/request-origin.js';

/**
 * The one seam between the platform's changes and the cluster (issue 2: "cluster
 * side effects behind one small interface"). A use case or the pipeline tells the sink,
 * inside its transaction, which tenant changed and why; the leading controller's writer
 * re-renders that tenant from the database and commits the state repo. The sink of every
 * process is the outbox (coordination/outbox.ts).
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
  verb: 'create' | 'update' | 'delete' | 'env' | 'deploy' | 'rollback' | 'restart' | 'reconcile' | 'domain' | 'preview';
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
  /** Both at once, for a change whose rows are already written (the pipeline's build and rollout commits). */
  tenantChanged(change: TenantChange): Promise<void>;
}

/**
 * A change as one PostgreSQL transaction, the one door into the writer
 * (docs/architecture.md#process-roles): `work` writes the rows and says which tenant changed
 * and why (`null`: nothing to commit); the intent is recorded in the same transaction (the
 * outbox), so the change and its intent commit together or not at all. Once committed, the
 * sink settles it: it waits for the leading controller's commit. Use cases and the pipeline
 * (its automatic rollback) both change state through it.
 */
export async function changeState<T>(
  deps: { db: DataSource; stateSink: StateSink },
  work: (manager: EntityManager) => Promise<{ value: T; change: TenantChange | null }>,
): Promise<T> {
  const { value, pending } = await deps.db.transaction(async (manager) => {
    await shareRequestOrigin(manager);
    const done = await work(manager);
    return { value: done.value, pending: done.change ? await deps.stateSink.record(manager, done.change) : null };
  });
  if (pending) await deps.stateSink.settle(pending);
  return value;
}
