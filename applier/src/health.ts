/**
 * Health of applied objects by kstatus-like rules (pure): `Current` when the
 * object has reached what was asked, `InProgress` while controllers work on it,
 * `Failed` when they gave up. (sigs.k8s.io/cli-utils kstatus; docs/architecture.md#status.)
 */

export type HealthStatus = 'Current' | 'InProgress' | 'Failed' | 'NotFound' | 'Unknown';

export interface Health {
  status: HealthStatus;
  message: string;
}

/** What health rules need to know about the cluster beyond the object itself. */
export interface HealthContext {
  /** `volumeBindingMode` of each StorageClass by name. */
  storageClasses?: ReadonlyMap<string, string>;
  /** The default StorageClass, when there is one. */
  defaultStorageClass?: string;
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

type Json = Record<string, unknown>;

/** The health of a live object (plain JSON); `null` means it is not in the cluster. */
export function healthOf(live: Json | null, context: HealthContext = {}): Health {
  if (live === null) return { status: 'NotFound', message: 'not in the cluster' };
  const metadata = record(live.metadata);
  if (metadata.deletionTimestamp !== undefined && metadata.deletionTimestamp !== null) {
    return { status: 'InProgress', message: 'being deleted' };
  }
  switch (live.kind) {
    case 'Deployment':
      return deploymentHealth(live);
    case 'Job':
      return jobHealth(live);
    case 'PersistentVolumeClaim':
      return pvcHealth(live, context);
    case 'Namespace':
      return record(live.status).phase === 'Terminating' ? { status: 'InProgress', message: 'terminating' } : current();
    default:
      return genericHealth(live);
  }
}

function deploymentHealth(live: Json): Health {
  const generation = num(record(live.metadata).generation);
  const status = record(live.status);
  const spec = record(live.spec);
  if (num(status.observedGeneration) < generation) {
    return { status: 'InProgress', message: 'the deployment controller has not seen the latest spec yet' };
  }
  const progressing = conditions(status).find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { status: 'Failed', message: progressing.message ?? 'progress deadline exceeded' };
  }
  const wanted = spec.replicas === undefined ? 1 : num(spec.replicas);
  const updated = num(status.updatedReplicas);
  const available = num(status.availableReplicas);
  const total = num(status.replicas);
  if (updated < wanted) return { status: 'InProgress', message: `${String(updated)} of ${String(wanted)} replicas updated` };
  if (total > updated) return { status: 'InProgress', message: `${String(total - updated)} old replicas pending termination` };
  if (available < wanted) return { status: 'InProgress', message: `${String(available)} of ${String(wanted)} replicas available` };
  return current(`${String(available)} of ${String(wanted)} replicas available`);
}

function jobHealth(live: Json): Health {
  const all = conditions(record(live.status));
  const failed = all.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed) return { status: 'Failed', message: failed.message ?? failed.reason ?? 'job failed' };
  if (all.some((c) => c.type === 'Complete' && c.status === 'True')) return current('job complete');
  return { status: 'InProgress', message: 'job running' };
}

function pvcHealth(live: Json, context: HealthContext): Health {
  const phase = record(live.status).phase;
  if (phase === 'Bound') return current('bound');
  if (phase === 'Lost') return { status: 'Failed', message: 'claim lost its volume' };
  const className = record(live.spec).storageClassName;
  const name = typeof className === 'string' ? className : context.defaultStorageClass;
  // A WaitForFirstConsumer class binds only when a pod uses the claim: pending is the expected state.
  if (name !== undefined && context.storageClasses?.get(name) === 'WaitForFirstConsumer') {
    return current('pending until a pod uses it (WaitForFirstConsumer)');
  }
  return { status: 'InProgress', message: 'waiting for a volume' };
}

/** Objects with no rule of their own: observedGeneration and a Ready condition when they have them. */
function genericHealth(live: Json): Health {
  const status = record(live.status);
  const generation = record(live.metadata).generation;
  if (status.observedGeneration !== undefined && generation !== undefined && num(status.observedGeneration) < num(generation)) {
    return { status: 'InProgress', message: 'the controller has not seen the latest spec yet' };
  }
  const ready = conditions(status).find((c) => c.type === 'Ready');
  if (ready !== undefined && ready.status === 'False') return { status: 'InProgress', message: ready.message ?? 'not ready' };
  return current();
}

function current(message = 'applied'): Health {
  return { status: 'Current', message };
}

function record(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

function conditions(status: Json): Condition[] {
  return Array.isArray(status.conditions) ? (status.conditions as Condition[]) : [];
}
