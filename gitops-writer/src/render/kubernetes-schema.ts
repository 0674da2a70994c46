/**
 * Validation of rendered objects against the Kubernetes OpenAPI schema of their
 * kind, through `kubernetes-models` (its validators are generated from the
 * upstream OpenAPI document). A kind without a schema here is refused: nothing
 * unvalidated is ever written.
 */
import { Certificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import { Middleware } from '@kubernetes-models/traefik/traefik.io/v1alpha1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler, type IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { CronJob, type ICronJob, Job } from 'kubernetes-models/batch/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  ConfigMap,
  LimitRange,
  Namespace,
  PersistentVolumeClaim,
  ResourceQuota,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1';

interface Validatable {
  validate(): void;
}

type ModelFactory = (data: Record<string, unknown>) => Validatable;

// Each constructor is typed for its own kind and hands untyped data to validate(),
// which checks it against the schema. Kinds with required fields (kubernetes-models 5)
// take the data by a cast: checking it is validate()'s job, not the constructor's.
const MODELS: ReadonlyMap<string, ModelFactory> = new Map<string, ModelFactory>([
  ['v1/Namespace', (d) => new Namespace(d)],
  ['v1/LimitRange', (d) => new LimitRange(d)],
  ['v1/ResourceQuota', (d) => new ResourceQuota(d)],
  ['v1/Service', (d) => new Service(d)],
  ['v1/ServiceAccount', (d) => new ServiceAccount(d)],
  ['v1/ConfigMap', (d) => new ConfigMap(d)],
  [
    'v1/PersistentVolumeClaim',
    (d) => new PersistentVolumeClaim(d),
  ],
  ['apps/v1/Deployment', (d) => new Deployment(d)],
  ['apps/v1/StatefulSet', (d) => new StatefulSet(d)],
  ['batch/v1/Job', (d) => new Job(d)],
  ['batch/v1/CronJob', (d) => new CronJob(d as Omit<ICronJob, 'apiVersion' | 'kind'>)],
  ['networking.k8s.io/v1/Ingress', (d) => new Ingress(d)],
  [
    'networking.k8s.io/v1/NetworkPolicy',
    (d) => new NetworkPolicy(d),
  ],
  [
    'policy/v1/PodDisruptionBudget',
    (d) => new PodDisruptionBudget(d),
  ],
  // cert-manager's Certificate and Traefik's Middleware (issue 34: custom domains' TLS and redirect).
  ['cert-manager.io/v1/Certificate', (d) => new Certificate(d)],
  ['traefik.io/v1alpha1/Middleware', (d) => new Middleware(d as unknown as ConstructorParameters<typeof Middleware>[0])],
  [
    'autoscaling/v2/HorizontalPodAutoscaler',
    (d) => new HorizontalPodAutoscaler(d as Omit<IHorizontalPodAutoscaler, 'apiVersion' | 'kind'>),
  ],
]);

/** The `apiVersion/kind` pairs a template may produce. Secrets never: no secret enters git. */
export const SUPPORTED_KINDS: readonly string[] = [...MODELS.keys()];

/**
 * Checks one object against the OpenAPI schema of its kind. Returns the problems,
 * empty when it is valid.
 */
export function schemaProblems(object: Record<string, unknown>): string[] {
  const key = `${String(object.apiVersion)}/${String(object.kind)}`;
  const model = MODELS.get(key);
  if (model === undefined) {
    return [`no schema for ${key} (supported: ${SUPPORTED_KINDS.join(', ')})`];
  }
  try {
    model(object).validate();
    return [];
  } catch (error) {
    return [error instanceof Error ? error.message : String(error)];
  }
}
