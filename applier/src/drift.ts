/**
 * Drift detection (pure): does the live object still hold every field of the
 * manifest? The apiserver adds defaults, status and metadata of its own, so the
 * live object is a superset of what was applied; a field that differs or is gone
 * means someone changed it by hand, and the applier applies again.
 */

/**
 * Whether every field of `desired` has the same value in `live`. Mappings are
 * compared key by key (extra live keys are defaults: fine); lists element by
 * element and must have the same length (SSA replaces or merges lists; a list
 * that grew is drift).
 */
export function isSubset(desired: unknown, live: unknown): boolean {
  if (desired === null || desired === undefined) return live === null || live === undefined;
  if (Array.isArray(desired)) {
    return Array.isArray(live) && live.length === desired.length && desired.every((item, i) => isSubset(item, live[i]));
  }
  if (typeof desired === 'object') {
    if (typeof live !== 'object' || live === null || Array.isArray(live)) return false;
    const liveRecord = live as Record<string, unknown>;
    return Object.entries(desired as Record<string, unknown>).every(([key, value]) => isSubset(value, liveRecord[key]));
  }
  return desired === live;
}

/** One entry of `metadata.managedFields`, as the apiserver returns it. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  fieldsV1?: FieldsTree;
  [key: string]: unknown;
}

/** A `fieldsV1` set: `f:name` a field, `k:{…}`/`v:…`/`i:n` a list entry, `.` the node itself. */
export type FieldsTree = { [key: string]: FieldsTree };

const isListEntry = (key: string) => key.startsWith('k:') || key.startsWith('v:') || key.startsWith('i:');

/** The item of a desired list that a fieldsV1 list key names, if any (`k:{json}` by its keys, `v:json` by value, `i:n` by index). */
function itemOf(list: unknown[], key: string): unknown {
  try {
    if (key.startsWith('i:')) return list[Number(key.slice(2))];
    const value: unknown = JSON.parse(key.slice(2));
    if (key.startsWith('v:')) return list.find((item) => JSON.stringify(item) === JSON.stringify(value));
    const wanted = Object.entries(value as Record<string, unknown>);
    return list.find((item) => typeof item === 'object' && item !== null && wanted.every(([k, v]) => (item as Record<string, unknown>)[k] === v));
  } catch {
    return undefined;
  }
}

/**
 * Splits `theirs` (another manager's fieldsV1) along the manifest: list entries
 * in lists the manifest sets but that the manifest does not hold are taken (our
 * apply then removes them); everything else is left to them, map keys included
 * (a label someone added stays theirs).
 */
function takeListEntries(desired: unknown, theirs: FieldsTree): { taken: FieldsTree; left: FieldsTree } {
  const taken: FieldsTree = {};
  const left: FieldsTree = {};
  for (const [key, child] of Object.entries(theirs)) {
    let sub: unknown;
    if (Array.isArray(desired) && isListEntry(key)) {
      sub = itemOf(desired, key);
      if (sub === undefined) {
        taken[key] = child;
        continue;
      }
    } else if (typeof desired === 'object' && desired !== null && !Array.isArray(desired) && key.startsWith('f:')) {
      sub = (desired as Record<string, unknown>)[key.slice(2)];
    }
    if (sub !== undefined && typeof sub === 'object' && sub !== null) {
      const split = takeListEntries(sub, child);
      if (Object.keys(split.taken).length > 0) taken[key] = split.taken;
      if (Object.keys(split.left).length > 0) left[key] = split.left;
    } else {
      left[key] = child;
    }
  }
  return { taken, left };
}

function mergeFields(a: FieldsTree, b: FieldsTree): FieldsTree {
  const out: FieldsTree = { ...a };
  for (const [key, child] of Object.entries(b)) out[key] = key in out ? mergeFields(out[key] ?? {}, child) : child;
  return out;
}

/**
 * The managedFields of `live` after taking back, from hand edits and other
 * appliers (`kubectl` in any form, `before-first-apply`, another manager's
 * server-side apply), the entries they added to lists the manifest `desired`
 * sets (ports, env, containers, volumes): with those in our set, our next apply
 * removes them instead of being refused for a duplicate name, as Flux's
 * kustomize-controller does. Their other fields stay theirs (a label someone
 * added is kept); controllers' updates are not touched. Scalar fields we set are
 * taken back by the forced apply itself.
 *
 * The managers named in `overrideManagers` (a GitOps engine this applier takes
 * over from, Flux's `kustomize-controller` by default) give up everything: their
 * whole set joins ours, or becomes ours when we have none yet, as kustomize-controller's
 * `--override-manager` does for the other direction. Our next apply then removes
 * whatever they applied that the manifest no longer holds. `null` when there is
 * nothing to take.
 */
export function withoutForeignEditors(
  live: Record<string, unknown>,
  desired: Record<string, unknown>,
  ourManager: string,
  overrideManagers: readonly string[] = [],
): ManagedFieldsEntry[] | null {
  const metadata = live.metadata as { managedFields?: ManagedFieldsEntry[] } | undefined;
  const entries = metadata?.managedFields ?? [];
  const isOurs = (entry: ManagedFieldsEntry) => entry.manager === ourManager && entry.operation === 'Apply' && !entry.subresource;
  const overridden = (entry: ManagedFieldsEntry) => !entry.subresource && entry.manager !== ourManager && overrideManagers.includes(entry.manager ?? '');
  const foreign = (entry: ManagedFieldsEntry) =>
    entry.manager !== ourManager &&
    !entry.subresource &&
    (entry.operation === 'Apply' || /^kubectl(-|$)/.test(entry.manager ?? '') || entry.manager === 'before-first-apply');
  let ours = entries.find(isOurs);
  if (ours === undefined) {
    // Nothing of ours yet: only a manager we override can hand its set over.
    const first = entries.find(overridden);
    if (first === undefined) return null;
    ours = { ...first, manager: ourManager, operation: 'Apply', fieldsV1: {} };
  }
  let ourFields = ours.fieldsV1 ?? {};
  let changed = !entries.includes(ours);
  // `null` is our entry's place: where it was, or first when it is new.
  const result: (ManagedFieldsEntry | null)[] = changed ? [null] : [];
  for (const entry of entries) {
    if (isOurs(entry)) {
      result.push(null);
      continue;
    }
    if (overridden(entry)) {
      changed = true;
      ourFields = mergeFields(ourFields, entry.fieldsV1 ?? {});
      continue;
    }
    if (!foreign(entry)) {
      result.push(entry);
      continue;
    }
    const { taken, left } = takeListEntries(desired, entry.fieldsV1 ?? {});
    if (Object.keys(taken).length === 0) {
      result.push(entry);
      continue;
    }
    changed = true;
    ourFields = mergeFields(ourFields, taken);
    if (Object.keys(left).length > 0) result.push({ ...entry, fieldsV1: left });
  }
  if (!changed) return null;
  const merged = { ...ours, fieldsV1: ourFields };
  return result.map((entry) => entry ?? merged);
}

/**
 * The live object in its wire form: @kubernetes/client-node deserializes
 * responses into model classes (timestamps as `Date`, and fields renamed where
 * the wire name is a reserved word: LimitRange `default` is `_default`); the
 * comparison with a manifest wants the names and values the apiserver uses.
 * Each generated model class lists its fields with their wire names
 * (`attributeTypeMap`); anything else (plain objects, unknown kinds) is kept.
 */
export function toPlainJson(live: unknown): unknown {
  if (live instanceof Date) return live.toISOString();
  if (Array.isArray(live)) return live.map(toPlainJson);
  if (live === null || typeof live !== 'object') return live;
  const names = wireNames(live.constructor);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(live)) {
    if (value !== undefined) out[names?.get(key) ?? key] = toPlainJson(value);
  }
  return out;
}

interface ModelClass {
  attributeTypeMap?: readonly { name: string; baseName: string }[];
}

const wireNameCache = new WeakMap<object, Map<string, string> | null>();

/** Model field name → wire name, for a generated model class; `null` for anything else. */
function wireNames(constructor: unknown): Map<string, string> | null {
  if (typeof constructor !== 'function') return null;
  const cached = wireNameCache.get(constructor);
  if (cached !== undefined) return cached;
  const attributes = (constructor as ModelClass).attributeTypeMap;
  const names = attributes ? new Map(attributes.map((a) => [a.name, a.baseName])) : null;
  wireNameCache.set(constructor, names);
  return names;
}
