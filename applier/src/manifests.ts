/**
 * Parsing and validating every manifest of one commit (pure). A commit is applied
 * only when all of it is valid: one bad file stops the whole sync before anything
 * is applied or pruned (issue 5, "Apply").
 */
import { createHash } from 'node:crypto';
import { loadAll } from 'js-yaml';
import type { ManifestProblem } from './errors.js';
import { refKey, refOf, refString, type ManifestObject, type ObjectRef } from './object-ref.js';

/** One file of the commit's tree. */
export interface ManifestFile {
  path: string;
  text: string;
}

/** An object the commit wants in the cluster. */
export interface DesiredObject {
  ref: ObjectRef;
  /** {@link refKey} of `ref`. */
  key: string;
  object: ManifestObject;
  /** The file it came from. */
  path: string;
  /** {@link objectHash} of `object`: what the inventory records as applied. */
  hash: string;
}

export type ParseResult = { ok: true; objects: DesiredObject[] } | { ok: false; problems: ManifestProblem[] };

const TENANT_PATH = /^tenants\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/.+\.ya?ml$/;
const KUSTOMIZATION = /(^|\/)kustomization\.ya?ml$/;
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** Whether the applier reads `path`: YAML below `tenants/`, kustomizations excepted. */
export function isManifestPath(path: string): boolean {
  return path.startsWith('tenants/') && /\.ya?ml$/.test(path) && !KUSTOMIZATION.test(path);
}

/**
 * Parses every file (files that {@link isManifestPath} rejects are ignored) and
 * checks each object: `apiVersion`, `kind`, `metadata.name` present; an object
 * below `tenants/{ns}/` is either the Namespace `{ns}` or lives in namespace `{ns}`
 * (a tenant's directory cannot reach another tenant, or the cluster); no object
 * twice. Every problem is collected, not just the first.
 */
export function parseManifests(files: readonly ManifestFile[]): ParseResult {
  const problems: ManifestProblem[] = [];
  const objects: DesiredObject[] = [];
  const seen = new Map<string, string>();
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    if (!isManifestPath(file.path)) continue;
    const tenant = TENANT_PATH.exec(file.path)?.[1];
    if (tenant === undefined) {
      problems.push({ path: file.path, message: 'is not below tenants/{namespace}/' });
      continue;
    }
    let documents: unknown[];
    try {
      documents = loadAll(file.text, { filename: file.path });
    } catch (error) {
      problems.push({ path: file.path, message: `is not valid YAML: ${error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error)}` });
      continue;
    }
    documents.forEach((document, index) => {
      if (document === null || document === undefined) return;
      const where = documents.length > 1 ? `${file.path}#${String(index + 1)}` : file.path;
      const checked = checkObject(document, tenant);
      if (typeof checked === 'string') {
        problems.push({ path: where, message: checked });
        return;
      }
      const ref = refOf(checked);
      const key = refKey(ref);
      const first = seen.get(key);
      if (first !== undefined) {
        problems.push({ path: where, message: `${refString(ref)} is also defined in ${first}` });
        return;
      }
      seen.set(key, where);
      objects.push({ ref, key, object: checked, path: file.path, hash: objectHash(checked) });
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, objects };
}

/** The object, or what is wrong with it. */
function checkObject(document: unknown, tenant: string): ManifestObject | string {
  if (!isRecord(document)) return 'is not a mapping';
  const { apiVersion, kind, metadata } = document;
  if (typeof apiVersion !== 'string' || !/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion)) return 'has no valid apiVersion';
  if (typeof kind !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) return 'has no valid kind';
  if (!isRecord(metadata)) return 'has no metadata';
  const { name, namespace } = metadata;
  if (typeof name !== 'string' || name.length > 253 || !NAME.test(name)) return `${kind} has no valid metadata.name`;
  if (namespace !== undefined && typeof namespace !== 'string') return `${kind} ${name} has a non-string namespace`;
  if (kind === 'Namespace' && apiVersion === 'v1') {
    if (namespace !== undefined) return `Namespace ${name} must not have a namespace`;
    if (name !== tenant) return `Namespace ${name} does not belong in tenants/${tenant}/`;
  } else if (namespace !== tenant) {
    return `${kind} ${name} must have metadata.namespace ${tenant} (it is ${namespace === undefined ? 'unset' : namespace})`;
  }
  return document as ManifestObject;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A stable digest of an object: sha256 over JSON with sorted keys. */
export function objectHash(object: unknown): string {
  return createHash('sha256').update(canonicalJson(object)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return value === undefined ? 'null' : JSON.stringify(value);
}
