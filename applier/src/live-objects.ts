import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '@dangus/gitops-writer/labels';
import { errorMessage, isObjectError, liveKey, type ClusterClient, type LiveObject } from './cluster-client.js';
import { forEachLimited } from './each-limited.js';
import type { HealthContext } from './health.js';
import type { ObjectRef } from './object-ref.js';

const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;

/**
 * The live objects by key: one list per kind of the managed label (the writer
 * labels everything; per namespace of the scope in a scoped sync, where cluster-wide
 * objects are read one by one), then a read of each object the lists missed.
 */
export async function readLive(
  client: ClusterClient,
  refs: readonly ObjectRef[],
  scope: Set<string> | null,
  concurrency: number,
): Promise<Map<string, LiveObject>> {
  const live = new Map<string, LiveObject>();
  const lists = new Map<string, { apiVersion: string; kind: string; namespace?: string }>();
  for (const ref of refs) {
    if (scope === null) lists.set(`${ref.apiVersion} ${ref.kind}`, { apiVersion: ref.apiVersion, kind: ref.kind });
    else if (ref.namespace !== '') lists.set(`${ref.apiVersion} ${ref.kind} ${ref.namespace}`, { apiVersion: ref.apiVersion, kind: ref.kind, namespace: ref.namespace });
  }
  await forEachLimited([...lists.values()], concurrency, async ({ apiVersion, kind, namespace }) => {
    try {
      for (const object of await client.list(apiVersion, kind, MANAGED_SELECTOR, namespace)) {
        const key = liveKey(apiVersion, kind, object);
        if (key !== null) live.set(key, object);
      }
    } catch (error) {
      // An unknown kind fails its objects' applies, reported per object.
      if (!isObjectError(error)) throw error;
    }
  });
  const missed = new Map<string, ObjectRef>();
  for (const ref of refs) {
    const key = liveKey(ref.apiVersion, ref.kind, { metadata: { name: ref.name, namespace: ref.namespace } });
    if (key !== null && !live.has(key)) missed.set(key, ref);
  }
  await forEachLimited([...missed.entries()], concurrency, async ([key, ref]) => {
    try {
      const object = await client.get(ref);
      if (object !== null) live.set(key, object);
    } catch (error) {
      if (!isObjectError(error)) throw error;
    }
  });
  return live;
}

/** The cluster's storage classes, for the health of a PersistentVolumeClaim; none when they cannot be listed. */
export async function storageContext(client: ClusterClient, logger: { warn(object: object, message: string): void }): Promise<HealthContext> {
  try {
    const classes = await client.list('storage.k8s.io/v1', 'StorageClass', '');
    const storageClasses = new Map<string, string>();
    let defaultStorageClass: string | undefined;
    for (const sc of classes) {
      const metadata = sc.metadata as { name?: string; annotations?: Record<string, string> } | undefined;
      if (metadata?.name === undefined) continue;
      storageClasses.set(metadata.name, typeof sc.volumeBindingMode === 'string' ? sc.volumeBindingMode : 'Immediate');
      if (metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true') defaultStorageClass = metadata.name;
    }
    return defaultStorageClass === undefined ? { storageClasses } : { storageClasses, defaultStorageClass };
  } catch (error) {
    logger.warn({ err: errorMessage(error) }, 'cannot list storage classes');
    return {};
  }
}
