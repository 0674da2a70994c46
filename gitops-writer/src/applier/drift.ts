import { dumpYaml } from '@kubernetes/client-node';
import { load } from 'js-yaml';

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
 * The client's own serializer turns a model back into that form.
 */
export function toPlainJson(live: unknown): unknown {
  return load(dumpYaml(live));
}
