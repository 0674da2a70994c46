/**
 * The order of applies and prunes (pure). Namespaces and other cluster-scoped
 * objects first, so namespaced objects have a home; then the objects workloads
 * read (config, storage, networking, guard rails); then workloads; Ingresses last,
 * so a route never points at nothing. Prunes run in the reverse order.
 */
import type { ObjectRef } from './object-ref.js';

const CONFIG_KINDS = new Set([
  'ConfigMap',
  'Secret',
  'PersistentVolumeClaim',
  'Service',
  'ServiceAccount',
  'NetworkPolicy',
  'LimitRange',
  'ResourceQuota',
  'Role',
  'RoleBinding',
]);
const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);

/** The apply phase of a ref: 0 Namespace, 1 other cluster-scoped, 2 config, 3 workloads (and unknown kinds), 4 Ingress. */
export function applyPhase(ref: Pick<ObjectRef, 'kind' | 'namespace' | 'group'>): number {
  if (ref.kind === 'Namespace' && ref.group === '') return 0;
  if (ref.namespace === '') return 1;
  if (CONFIG_KINDS.has(ref.kind)) return 2;
  if (ref.kind === 'Ingress') return 4;
  if (WORKLOAD_KINDS.has(ref.kind)) return 3;
  return 3;
}

/** The refs grouped by phase, in apply order; within a phase, by namespace, kind and name (deterministic). */
export function applyPhases<T extends { ref: ObjectRef }>(items: readonly T[]): T[][] {
  const phases: T[][] = [[], [], [], [], []];
  for (const item of [...items].sort((a, b) => compareRefs(a.ref, b.ref))) phases[applyPhase(item.ref)]?.push(item);
  return phases.filter((phase) => phase.length > 0);
}

/** The refs grouped by phase in prune order (the reverse of {@link applyPhases}). */
export function prunePhases<T extends { ref: ObjectRef }>(items: readonly T[]): T[][] {
  return applyPhases(items).reverse();
}

function compareRefs(a: ObjectRef, b: ObjectRef): number {
  return cmp(a.namespace, b.namespace) || cmp(a.kind, b.kind) || cmp(a.name, b.name);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
