/**
 * The Kubernetes side of the applier, behind a small interface so a test can wrap
 * it (to count write calls) and the core stays free of client imports.
 */
import { ApiException, KubernetesObjectApi, PatchStrategy, loadYaml, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { toPlainJson, type ManagedFieldsEntry } from './drift.js';
import { refKey, type ManifestObject, type ObjectRef } from './object-ref.js';

export type LiveObject = Record<string, unknown>;

/** What the applier does to the cluster. `apply` and `delete` are its only writes. */
export interface ClusterClient {
  /** Server-side apply with forced conflicts; returns the object as stored. */
  apply(object: ManifestObject): Promise<LiveObject>;
  /** Deletes the object (dependents in the background); `false` when it was already gone. */
  delete(ref: ObjectRef): Promise<boolean>;
  /** The object, or `null` when it is not in the cluster. */
  get(ref: ObjectRef): Promise<LiveObject | null>;
  /** Every object of a kind in every namespace that carries `labelSelector`. */
  /** Objects of a kind with the label, in `namespace` only when one is given. */
  list(apiVersion: string, kind: string, labelSelector: string, namespace?: string): Promise<LiveObject[]>;
  /** Replaces the object's managedFields (a merge patch of that list alone). */
  setManagedFields(ref: ObjectRef, managedFields: ManagedFieldsEntry[]): Promise<void>;
}

/**
 * A failure of one object that trying again soon will not fix (invalid,
 * immutable field, forbidden, unknown kind): reported, and retried only with a
 * growing backoff (see the applier). Anything else (network, 5xx, 429) is a
 * failure of the whole sync.
 */
export function isObjectError(error: unknown): boolean {
  if (error instanceof ApiException) return error.code >= 400 && error.code < 500 && error.code !== 429 && error.code !== 408;
  return error instanceof Error && error.message.startsWith('Unrecognized API version and kind');
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ApiException && error.code === 404;
}

/** A readable message of an API error (the apiserver's `Status.message` when there is one). */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiException) {
    const body: unknown = error.body;
    let parsed: unknown = body;
    if (typeof body === 'string') {
      try {
        parsed = JSON.parse(body);
      } catch {
        parsed = body;
      }
    }
    const message = typeof parsed === 'object' && parsed !== null ? (parsed as { message?: unknown }).message : parsed;
    return `${String(error.code)}: ${typeof message === 'string' ? message : error.message}`;
  }
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

/** {@link ClusterClient} over @kubernetes/client-node's generic object API. */
export class KubeClusterClient implements ClusterClient {
  private readonly api: KubernetesObjectApi;

  constructor(
    kube: KubeConfig,
    private readonly fieldManager: string,
  ) {
    this.api = KubernetesObjectApi.makeApiClient(kube);
  }

  async apply(object: ManifestObject): Promise<LiveObject> {
    // The client serializes through its generated models, which name some
    // fields differently from the wire (LimitRange `default` is `_default`):
    // plain JSON handed to it loses those fields. Read the manifest into the
    // models first (a fresh object, so the client's defaults do not touch ours).
    const spec = loadYaml<KubernetesObject>(JSON.stringify(object));
    const stored = await this.api.patch(spec, undefined, undefined, this.fieldManager, true, PatchStrategy.ServerSideApply);
    return toPlainJson(stored) as LiveObject;
  }

  async setManagedFields(ref: ObjectRef, managedFields: ManagedFieldsEntry[]): Promise<void> {
    const head = header(ref);
    const patch = { ...head, metadata: { ...head.metadata, managedFields } };
    await this.api.patch(patch, undefined, undefined, this.fieldManager, undefined, PatchStrategy.MergePatch);
  }

  async delete(ref: ObjectRef): Promise<boolean> {
    try {
      // Background: the REST default for Jobs is to orphan their pods.
      await this.api.delete(header(ref), undefined, undefined, undefined, undefined, 'Background');
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async get(ref: ObjectRef): Promise<LiveObject | null> {
    try {
      return toPlainJson(await this.api.read(header(ref))) as LiveObject;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async list(apiVersion: string, kind: string, labelSelector: string, namespace?: string): Promise<LiveObject[]> {
    const items: LiveObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.api.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector, 500, token);
      for (const item of page.items) items.push(toPlainJson({ ...item, apiVersion, kind }) as LiveObject);
      token = page.metadata?._continue || undefined;
    } while (token !== undefined);
    return items;
  }
}

function header(ref: ObjectRef): { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } {
  const metadata = ref.namespace === '' ? { name: ref.name } : { name: ref.name, namespace: ref.namespace };
  return { apiVersion: ref.apiVersion, kind: ref.kind, metadata };
}

/** The key of a live object listed or read from the cluster. */
export function liveKey(apiVersion: string, kind: string, live: LiveObject): string | null {
  const metadata = live.metadata as { name?: unknown; namespace?: unknown } | undefined;
  if (typeof metadata?.name !== 'string') return null;
  const group = apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
  return refKey({ group, kind, namespace: typeof metadata.namespace === 'string' ? metadata.namespace : '', name: metadata.name });
}
