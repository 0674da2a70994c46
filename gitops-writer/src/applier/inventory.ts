/**
 * The inventory: what the applier has applied and therefore owns (pure). Modelled
 * on Flux kustomize-controller's `inventory` package (`New`, `Merge`, `Diff`): the
 * only objects the applier ever deletes are entries of its inventory that the
 * current commit no longer has.
 */
import { z } from 'zod';
import { refKey, type ObjectRef } from './object-ref.js';

export interface InventoryEntry {
  ref: ObjectRef;
  /** Hash of the manifest last applied (objectHash): an unchanged manifest is not re-applied. */
  hash: string;
}

export interface Inventory {
  /** The commit whose objects the entries are, `null` when it holds entries of several (a partial sync). */
  commit: string | null;
  /** Sorted by {@link refKey}, one per key. */
  entries: InventoryEntry[];
}

/** An inventory of `entries` (later duplicates of a key win), sorted. */
export function newInventory(commit: string | null, entries: readonly InventoryEntry[]): Inventory {
  const byKey = new Map<string, InventoryEntry>();
  for (const entry of entries) byKey.set(refKey(entry.ref), entry);
  return { commit, entries: [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e) };
}

/** The union of both; an entry of `b` replaces the entry of `a` with the same key. */
export function mergeInventory(a: Inventory, b: Inventory): Inventory {
  return newInventory(a.commit === b.commit ? a.commit : null, [...a.entries, ...b.entries]);
}

/** The entries of `previous` whose key `next` lacks: the objects to prune. */
export function diffInventory(previous: Inventory, next: Inventory): InventoryEntry[] {
  const keep = new Set(next.entries.map((entry) => refKey(entry.ref)));
  return previous.entries.filter((entry) => !keep.has(refKey(entry.ref)));
}

/** The entries by key. */
export function inventoryIndex(inventory: Inventory): Map<string, InventoryEntry> {
  return new Map(inventory.entries.map((entry) => [refKey(entry.ref), entry]));
}

export function emptyInventory(): Inventory {
  return { commit: null, entries: [] };
}

/** The ConfigMap data key that holds the inventory. */
export const INVENTORY_DATA_KEY = 'inventory.json';

const inventorySchema = z.object({
  commit: z.string().nullable(),
  entries: z.array(
    z.object({
      ref: z.object({ group: z.string(), apiVersion: z.string(), kind: z.string(), namespace: z.string(), name: z.string() }),
      hash: z.string(),
    }),
  ),
});

/** The inventory as ConfigMap data: one JSON document, an entry per line for readable diffs. */
export function encodeInventory(inventory: Inventory): Record<string, string> {
  const lines = inventory.entries.map((entry) => `    ${JSON.stringify(entry)}`);
  const body = `{\n  "commit": ${JSON.stringify(inventory.commit)},\n  "entries": [\n${lines.join(',\n')}\n  ]\n}\n`;
  return { [INVENTORY_DATA_KEY]: inventory.entries.length === 0 ? `${JSON.stringify(inventory)}\n` : body };
}

/** The inventory stored in a ConfigMap's data; throws when it is not one. */
export function decodeInventory(data: Record<string, string> | undefined): Inventory {
  const text = data?.[INVENTORY_DATA_KEY];
  if (text === undefined) return emptyInventory();
  const parsed = inventorySchema.parse(JSON.parse(text));
  return newInventory(parsed.commit, parsed.entries);
}
