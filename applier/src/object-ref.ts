/**
 * Object references: how the applier names a Kubernetes object in its inventory,
 * the same identity Flux's inventory uses (group, kind, namespace, name; the
 * version is kept beside it, as it is needed to address the object but not part
 * of its identity).
 */

/** A manifest object as parsed from the repo: plain JSON data. */
export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface ObjectRef {
  /** API group, `''` for the core group. */
  group: string;
  /** API version of the manifest, e.g. `v1` or `apps/v1`: used to address the object. */
  apiVersion: string;
  kind: string;
  /** `''` for cluster-scoped objects. */
  namespace: string;
  name: string;
}

/** The group of an `apiVersion`: `apps/v1` → `apps`, `v1` → `''`. */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

export function refOf(object: ManifestObject): ObjectRef {
  return {
    group: groupOf(object.apiVersion),
    apiVersion: object.apiVersion,
    kind: object.kind,
    namespace: object.metadata.namespace ?? '',
    name: object.metadata.name,
  };
}

/**
 * The identity of a ref, `namespace_name_group_kind` as in Flux's inventory
 * (`ObjMetadata` string form). The version is left out: moving a kind to a new
 * API version is the same object, not a prune plus a create.
 */
export function refKey(ref: Pick<ObjectRef, 'group' | 'kind' | 'namespace' | 'name'>): string {
  return `${ref.namespace}_${ref.name}_${ref.group}_${ref.kind}`;
}

/** `kind namespace/name` (or `kind name`), for logs and error messages. */
export function refString(ref: Pick<ObjectRef, 'kind' | 'namespace' | 'name'>): string {
  return ref.namespace === '' ? `${ref.kind} ${ref.name}` : `${ref.kind} ${ref.namespace}/${ref.name}`;
}

/** The tenant an object belongs to: its namespace, or the name of a Namespace. */
export function tenantOf(ref: Pick<ObjectRef, 'group' | 'kind' | 'namespace' | 'name'>): string {
  return ref.kind === 'Namespace' && ref.group === '' ? ref.name : ref.namespace;
}
