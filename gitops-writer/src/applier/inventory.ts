/**
 * The inventory: what the applier has applied and therefore owns (pure). Modelled
 * on Flux kustomize-controller's `inventory` package (`New`, `Merge`, `Diff`): the
 * only objects the applier ever deletes are entries of its inventory that the
 * current commit no longer has.
 */
import { createHash } from 'node:crypto';
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

/**
 * Text of entries one ConfigMap holds at most: an object may not exceed 1 MiB, and a
 * thousand tenants of three services are about 2 MB of entries.
 */
export const INVENTORY_PART_BYTES = 768 * 1024;

const entriesSchema = z.array(
  z.object({
    ref: z.object({ group: z.string(), apiVersion: z.string(), kind: z.string(), namespace: z.string(), name: z.string() }),
    hash: z.string(),
  }),
);
const firstPartSchema = z.object({
  commit: z.string().nullable(),
  /** Absent in an inventory written before it could have parts: one. */
  parts: z.number().int().min(1).optional(),
  digest: z.string().optional(),
  entries: entriesSchema,
});
const laterPartSchema = z.object({ part: z.number().int().min(1), entries: entriesSchema });

/** The inventory changed between the reads of its parts: read it again. */
export class TornInventoryError extends Error {}

/**
 * The inventory as the data of one or more ConfigMaps, an entry per line for readable
 * diffs. The first holds the commit, the number of parts and a digest of every part's
 * entries (so any change rewrites the first); each part holds its run of entries.
 */
export function encodeInventoryParts(inventory: Inventory, partBytes = INVENTORY_PART_BYTES): Record<string, string>[] {
  const runs: string[][] = [[]];
  let size = 0;
  for (const entry of inventory.entries) {
    const line = `    ${JSON.stringify(entry)}`;
    const run = runs[runs.length - 1] as string[];
    if (run.length > 0 && size + line.length + 2 > partBytes) {
      runs.push([line]);
      size = line.length + 2;
    } else {
      run.push(line);
      size += line.length + 2;
    }
  }
  const bodies = runs.map((run) => (run.length === 0 ? '[]' : `[\n${run.join(',\n')}\n  ]`));
  const digest = createHash('sha256').update(bodies.join('\n')).digest('hex');
  return bodies.map((body, part) => ({
    [INVENTORY_DATA_KEY]:
      part === 0
        ? `{\n  "commit": ${JSON.stringify(inventory.commit)},\n  "parts": ${String(bodies.length)},\n  "digest": "${digest}",\n  "entries": ${body}\n}\n`
        : `{\n  "part": ${String(part)},\n  "entries": ${body}\n}\n`,
  }));
}

/** How many ConfigMaps the inventory whose first part is `data` has. */
export function inventoryParts(data: Record<string, string> | undefined): number {
  const text = data?.[INVENTORY_DATA_KEY];
  return text === undefined ? 1 : (firstPartSchema.parse(JSON.parse(text)).parts ?? 1);
}

/** The inventory stored in ConfigMaps' data, first part first; throws when it is not one, {@link TornInventoryError} when its parts disagree. */
export function decodeInventoryParts(parts: readonly (Record<string, string> | undefined)[]): Inventory {
  const text = parts[0]?.[INVENTORY_DATA_KEY];
  if (text === undefined) return emptyInventory();
  const first = firstPartSchema.parse(JSON.parse(text));
  const count = first.parts ?? 1;
  const bodies: string[] = [];
  const entries = [...first.entries];
  if (first.digest !== undefined) bodies.push(bodyOf(text));
  for (let part = 1; part < count; part += 1) {
    const later = parts[part]?.[INVENTORY_DATA_KEY];
    if (later === undefined) throw new TornInventoryError(`inventory part ${String(part)} of ${String(count)} is missing`);
    const parsed = laterPartSchema.parse(JSON.parse(later));
    if (parsed.part !== part) throw new TornInventoryError(`inventory part ${String(part)} holds part ${String(parsed.part)}`);
    entries.push(...parsed.entries);
    bodies.push(bodyOf(later));
  }
  if (first.digest !== undefined && createHash('sha256').update(bodies.join('\n')).digest('hex') !== first.digest) {
    throw new TornInventoryError('the inventory changed while its parts were read');
  }
  return newInventory(first.commit, entries);
}

/** The text of a part's entries array, as written. */
function bodyOf(text: string): string {
  const start = text.indexOf('"entries": ') + '"entries": '.length;
  return text.slice(start, text.lastIndexOf('\n}'));
}

/** The inventory as the data of one ConfigMap (however large). */
export function encodeInventory(inventory: Inventory): Record<string, string> {
  return encodeInventoryParts(inventory, Number.POSITIVE_INFINITY)[0] ?? {};
}

/** The inventory stored in one ConfigMap's data; throws when it is not one (or has more parts). */
export function decodeInventory(data: Record<string, string> | undefined): Inventory {
  return decodeInventoryParts([data]);
}
