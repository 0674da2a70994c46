/**
 * Filling a parsed template. The template was parsed by js-yaml before any value
 * is known, so its structure is fixed; a value only ever replaces a whole scalar
 * and is never parsed again: no user value can become YAML structure
 * (docs/architecture.md#the-state-repo). Conventions, documented in
 * `templates/README.md`:
 *
 * - `"{{name}}"` as a whole scalar is replaced by the variable's value, keeping its
 *   type (a port stays a number, a list of strings becomes a list); a `null` value
 *   or an empty list omits the key or list item.
 * - A mapping with a `$if: name` key is kept (without that key) only when the
 *   variable is neither `null` nor `false`.
 * - A mapping or list emptied by such omissions is itself omitted; one written
 *   empty in the template (`podSelector: {}`) stays.
 */
import type { TemplateValue } from './variable-catalog.js';

const PLACEHOLDER = /^\{\{\s*([a-z][a-z0-9_]*)\s*\}\}$/;
export const CONDITION_KEY = '$if';
const OMIT = Symbol('omit');

/** The variable a scalar stands for, or `null` when it is a literal. */
export function placeholderName(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const match = PLACEHOLDER.exec(value);
  return match?.[1] ?? null;
}

/** A problem found while checking a template, with the YAML path it is at. */
export interface PlaceholderProblem {
  path: string;
  message: string;
}

/**
 * Checks a parsed template document: every placeholder is whole and known,
 * every `$if` names a known variable, no key uses a placeholder.
 */
export function checkTemplateDocument(document: unknown, known: ReadonlySet<string>): PlaceholderProblem[] {
  const problems: PlaceholderProblem[] = [];
  const visit = (node: unknown, path: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, index) => {
        visit(item, `${path}[${String(index)}]`);
      });
    } else if (isMapping(node)) {
      for (const [key, value] of Object.entries(node)) {
        const at = `${path}.${key}`;
        if (key.includes('{{')) problems.push({ path: at, message: 'a key cannot be a placeholder' });
        if (key === CONDITION_KEY) {
          if (typeof value !== 'string' || !known.has(value)) {
            problems.push({ path: at, message: `$if must name a variable of this template, got ${JSON.stringify(value)}` });
          }
          continue;
        }
        visit(value, at);
      }
    } else if (typeof node === 'string') {
      const name = placeholderName(node);
      if (name !== null && !known.has(name)) {
        problems.push({ path, message: `unknown variable {{${name}}}` });
      } else if (name === null && (node.includes('{{') || node.includes('}}'))) {
        problems.push({ path, message: 'a placeholder must be the whole value, quoted: "{{name}}"' });
      }
    }
  };
  visit(document, '$');
  return problems;
}

/**
 * Fills one checked template document with values. Returns `null` when the whole
 * document is omitted (a top-level `$if` that is false).
 */
export function fillTemplate(
  document: unknown,
  values: Readonly<Record<string, TemplateValue>>,
): Record<string, unknown> | null {
  const filled = fillNode(document, values);
  if (filled === OMIT) return null;
  if (!isMapping(filled)) throw new TypeError('A template document must be a mapping.');
  return filled;
}

function lookup(values: Readonly<Record<string, TemplateValue>>, name: string): TemplateValue {
  const value = values[name];
  // Checked templates only name catalog variables; an absent one is a renderer bug.
  if (value === undefined) throw new TypeError(`No value for template variable ${name}.`);
  return value;
}

function fillNode(node: unknown, values: Readonly<Record<string, TemplateValue>>): unknown {
  if (Array.isArray(node)) {
    const items = node.map((item) => fillNode(item, values)).filter((item) => item !== OMIT);
    return items.length === 0 && node.length > 0 ? OMIT : items;
  }
  if (isMapping(node)) {
    const condition = node[CONDITION_KEY];
    if (typeof condition === 'string' && isEmpty(lookup(values, condition))) return OMIT;
    const entries = Object.entries(node).filter(([key]) => key !== CONDITION_KEY);
    const result: Record<string, unknown> = {};
    for (const [key, value] of entries) {
      const filled = fillNode(value, values);
      // defineProperty: a `__proto__` key stays a key instead of changing the prototype.
      if (filled !== OMIT) Object.defineProperty(result, key, { value: filled, enumerable: true, writable: true, configurable: true });
    }
    return Object.keys(result).length === 0 && entries.length > 0 ? OMIT : result;
  }
  const name = placeholderName(node);
  if (name === null) return node;
  const value = lookup(values, name);
  return isEmpty(value) ? OMIT : Array.isArray(value) ? [...(value as readonly string[])] : value;
}

/** `null`, `false` and an empty list omit what holds them. */
function isEmpty(value: TemplateValue): boolean {
  return value === null || value === false || (Array.isArray(value) && value.length === 0);
}

/** A plain YAML mapping (js-yaml yields plain objects for mappings). */
export function isMapping(node: unknown): node is Record<string, unknown> {
  return typeof node === 'object' && node !== null && !Array.isArray(node);
}
