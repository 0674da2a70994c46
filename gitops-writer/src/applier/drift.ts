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
