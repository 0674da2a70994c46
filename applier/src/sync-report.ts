import type { Health } from './health.js';
import type { ObjectRef } from './object-ref.js';

// What the applier reports: of one sync, and of its state at `GET /api/system/applier`.

export interface ObjectError {
  ref: ObjectRef;
  message: string;
}

export interface ObjectStatus {
  ref: ObjectRef;
  health: Health;
}

/** What one sync did. */
export interface SyncReport {
  commit: string | null;
  applied: number;
  unchanged: number;
  pruned: number;
  /** Jobs applied before and gone since: not re-created. */
  jobsNotRecreated: number;
  /** Calls that write to the cluster (applies, deletes, the inventory). */
  writes: number;
  errors: ObjectError[];
  durationMs: number;
}

/** What the api shows at `GET /api/system/applier`. */
export interface ApplierStatus {
  /** The last commit applied in full (every object applied, pruning done). */
  appliedCommit: string | null;
  /** When that sync finished (ISO 8601). */
  appliedAt: string | null;
  /** The head of the branch at the last attempt. */
  headCommit: string | null;
  lastAttemptAt: string | null;
  /** Why the last sync failed as a whole (invalid commit, unreachable apiserver), else `null`. */
  lastError: string | null;
  /** Per-object errors of the last sync. */
  errors: ObjectError[];
  /** Every object of the applied commit, with its health as last seen. */
  objects: ObjectStatus[];
  lastSync: SyncReport | null;
  /** When the next sync is due (ISO 8601), while started. */
  nextSyncAt: string | null;
}

/** An empty report of a sync of `commit` that started at `started` (performance.now()). */
export function report(commit: string | null, started: number): SyncReport {
  return { commit, applied: 0, unchanged: 0, pruned: 0, jobsNotRecreated: 0, writes: 0, errors: [], durationMs: Math.round(performance.now() - started) };
}
