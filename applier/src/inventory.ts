/**
 * The inventory: what the applier has applied and therefore owns (pure). Modelled
 * on Flux kustomize-controller's `inventory` package (`New`, `Merge`, `Diff`): the
 * only objects the applier ever deletes are entries of its inventory that the
 * current commit no longer has.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { refKey, tenantOf, type ObjectRef } from './object-ref.js';

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
 * Text of entries a part aims at: a tenant's change rewrites its part alone, and an
 * object may not exceed 1 MiB (a thousand tenants of three services are about 2 MB).
 */
export const INVENTORY_PART_BYTES = 128 * 1024;
/** A part never grows beyond this: the apiserver refuses objects above 1 MiB. */
const PART_LIMIT_BYTES = 900 * 1024;

const entriesSchema = z.array(
  z.object({
    ref: z.object({ group: z.string(), apiVersion: z.string(), kind: z.string(), namespace: z.string(), name: z.string() }),
    hash: z.string(),
  }),
);
const headSchema = z.object({
  commit: z.string().nullable(),
  /** Absent in an inventory written before it had parts: its entries are in the head. */
  parts: z.number().int().min(0).optional(),
  digest: z.string().optional(),
  entries: entriesSchema.optional(),
});
const partSchema = z.object({ part: z.number().int().min(1), entries: entriesSchema });

/** The inventory changed between the reads of its parts: read it again. */
export class TornInventoryError extends Error {}

/** The part (1-based) of `parts` that holds the entries of `tenant`: a stable hash of its name. */
function partOf(tenant: string, parts: number): number {
  let hash = 2166136261;
  for (let i = 0; i < tenant.length; i += 1) hash = Math.imul(hash ^ tenant.charCodeAt(i), 16777619);
  return ((hash >>> 0) % parts) + 1;
}

/** Each entry's line as written and its tenant: computed once per save, whatever the number of parts tried. */
interface Row {
  line: string;
  tenant: string;
}

function buckets(rows: readonly Row[], parts: number): { lines: string[]; bytes: number; tenants: Set<string> }[] {
  const out = Array.from({ length: parts }, () => ({ lines: [] as string[], bytes: 0, tenants: new Set<string>() }));
  for (const { line, tenant } of rows) {
    const bucket = out[partOf(tenant, parts) - 1];
    if (bucket === undefined) continue;
    bucket.lines.push(line);
    bucket.bytes += line.length + 2;
    bucket.tenants.add(tenant);
  }
  return out;
}

/**
 * How many parts: the number now (`current`) while its parts stay within twice the aim
 * and the limit (so a tenant more or less does not move every entry), else the fewest
 * (a power of two) whose parts are all within the aim.
 */
function partCount(rows: readonly Row[], partBytes: number, current: number): number {
  // A part of one tenant cannot be split further: it fits as it is (a tenant's entries are far below the limit).
  const fits = (parts: number, aim: number) => buckets(rows, parts).every((b) => b.bytes <= Math.min(aim, PART_LIMIT_BYTES) || b.tenants.size <= 1);
  if (current > 0 && fits(current, 2 * partBytes) && !(current > 1 && fits(current / 2, partBytes / 2))) return current;
  let parts = 1;
  while (!fits(parts, partBytes) && parts < 4096) parts *= 2;
  return parts;
}

/**
 * The inventory as the data of ConfigMaps: a small head (the commit, the number of
 * parts, a digest of them all, so any change rewrites it) and the parts, each holding
 * the entries of the tenants its name hashes to, an entry per line for readable diffs.
 * A one-tenant change rewrites the head and that tenant's part. `current`: the number
 * of parts stored now.
 */
export function encodeInventoryParts(inventory: Inventory, partBytes = INVENTORY_PART_BYTES, current = 0): Record<string, string>[] {
  const rows = inventory.entries.map((entry) => ({ line: `    ${JSON.stringify(entry)}`, tenant: tenantOf(entry.ref) }));
  const parts = partCount(rows, partBytes, current);
  const bodies = buckets(rows, parts).map(({ lines }) => (lines.length === 0 ? '[]' : `[\n${lines.join(',\n')}\n  ]`));
  const digest = createHash('sha256').update(bodies.join('\n')).digest('hex');
  return [
    { [INVENTORY_DATA_KEY]: `{\n  "commit": ${JSON.stringify(inventory.commit)},\n  "parts": ${String(parts)},\n  "digest": "${digest}"\n}\n` },
    ...bodies.map((body, i) => ({ [INVENTORY_DATA_KEY]: `{\n  "part": ${String(i + 1)},\n  "entries": ${body}\n}\n` })),
  ];
}

/** How many parts besides the head the inventory whose head is `data` has. */
export function inventoryParts(data: Record<string, string> | undefined): number {
  const text = data?.[INVENTORY_DATA_KEY];
  return text === undefined ? 0 : (headSchema.parse(JSON.parse(text)).parts ?? 0);
}

/**
 * The inventory stored in ConfigMaps' data, head first; throws when it is not one, and
 * {@link TornInventoryError} when its parts disagree with the head, unless `torn` is
 * `accept` (parts as they are, a missing one empty: for a save that stopped halfway).
 */
export function decodeInventoryParts(parts: readonly (Record<string, string> | undefined)[], torn: 'throw' | 'accept' = 'throw'): Inventory {
  const text = parts[0]?.[INVENTORY_DATA_KEY];
  if (text === undefined) return emptyInventory();
  const head = headSchema.parse(JSON.parse(text));
  const entries = [...(head.entries ?? [])];
  const bodies: string[] = [];
  for (let part = 1; part <= (head.parts ?? 0); part += 1) {
    const later = parts[part]?.[INVENTORY_DATA_KEY];
    if (later === undefined) {
      if (torn === 'accept') continue;
      throw new TornInventoryError(`inventory part ${String(part)} of ${String(head.parts)} is missing`);
    }
    const parsed = partSchema.parse(JSON.parse(later));
    if (parsed.part !== part && torn === 'throw') throw new TornInventoryError(`inventory part ${String(part)} holds part ${String(parsed.part)}`);
    entries.push(...parsed.entries);
    bodies.push(later.slice(later.indexOf('"entries": ') + '"entries": '.length, later.lastIndexOf('\n}')));
  }
  if (torn === 'throw' && head.digest !== undefined && createHash('sha256').update(bodies.join('\n')).digest('hex') !== head.digest) {
    throw new TornInventoryError('the inventory changed while its parts were read');
  }
  return newInventory(head.commit, entries);
}

/** The inventory as the data of one ConfigMap, entries in the head (small inventories, tests). */
export function encodeInventory(inventory: Inventory): Record<string, string> {
  const lines = inventory.entries.map((entry) => `    ${JSON.stringify(entry)}`);
  return { [INVENTORY_DATA_KEY]: `{\n  "commit": ${JSON.stringify(inventory.commit)},\n  "entries": [\n${lines.join(',\n')}\n  ]\n}\n` };
}

/** The inventory stored in one ConfigMap's data; throws when it is not one (or has parts). */
export function decodeInventory(data: Record<string, string> | undefined): Inventory {
  return decodeInventoryParts([data]);
}
