/**
 * Deciding what a sync does (pure): for each object of the commit, apply it or
 * leave it; and which inventory entries to prune. The I/O shell loads the inputs
 * and carries the plan out.
 */
import { isSubset } from './drift.js';
import { diffInventory, inventoryIndex, newInventory, type Inventory, type InventoryEntry } from './inventory.js';
import type { DesiredObject } from './manifests.js';

export type StepAction =
  /** Server-side apply it. */
  | 'apply'
  /** The live object matches the manifest last applied: no write. */
  | 'unchanged'
  /** A Job applied before and gone since (finished and collected, or deleted): never re-created. */
  | 'job-gone';

export interface Step {
  item: DesiredObject;
  action: StepAction;
  /** Why, for the log. */
  reason: string;
}

export interface SyncPlan {
  steps: Step[];
  /** Entries to delete from the cluster. */
  prune: InventoryEntry[];
  /**
   * Entries that left the repo with their namespace: deleting the namespace deletes
   * them, so no call of their own (they leave the inventory with it).
   */
  prunedWithNamespace: InventoryEntry[];
}

/**
 * The plan for `desired` given the `inventory` of the last sync and the `live`
 * objects (plain JSON by {@link refKey}; a missing key means not in the cluster).
 */
export function planSync(desired: readonly DesiredObject[], inventory: Inventory, live: ReadonlyMap<string, unknown>): SyncPlan {
  const recorded = inventoryIndex(inventory);
  const steps = desired.map((item): Step => {
    const entry = recorded.get(item.key);
    const current = live.get(item.key);
    if (current === undefined) {
      // docs/architecture.md#builds: a Job runs once; its TTL or the api removing it must not make it run again.
      if (entry !== undefined && isJob(item)) return { item, action: 'job-gone', reason: 'applied before and gone since' };
      return { item, action: 'apply', reason: 'not in the cluster' };
    }
    if (entry === undefined) return { item, action: 'apply', reason: 'not in the inventory' };
    if (entry.hash !== item.hash) return { item, action: 'apply', reason: 'manifest changed' };
    if (!isSubset(item.object, current)) return { item, action: 'apply', reason: 'drifted from the manifest' };
    return { item, action: 'unchanged', reason: 'in sync' };
  });
  const gone = diffInventory(inventory, desiredInventory(null, desired));
  const goneNamespaces = new Set(gone.filter((e) => e.ref.kind === 'Namespace' && e.ref.group === '').map((e) => e.ref.name));
  return {
    steps,
    prune: gone.filter((e) => !goneNamespaces.has(e.ref.namespace)),
    prunedWithNamespace: gone.filter((e) => goneNamespaces.has(e.ref.namespace)),
  };
}

/** The inventory that records `desired` as applied. */
export function desiredInventory(commit: string | null, desired: readonly DesiredObject[]): Inventory {
  return newInventory(
    commit,
    desired.map((item) => ({ ref: item.ref, hash: item.hash })),
  );
}

function isJob(item: DesiredObject): boolean {
  return item.ref.kind === 'Job' && item.ref.group === 'batch';
}
