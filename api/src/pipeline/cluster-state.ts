/**
 * Pure readings of cluster objects: has a build ended and how, is a rollout
 * live or failed. Kept apart from the pipeline so each rule has a table test.
 */
import type { V1ContainerStateTerminated, V1Deployment, V1Job, V1Pod } from '@kubernetes/client-node';

/** The build Job's init container that fetches the pushed commit (templates/build-job.yaml). */
export const FETCH_CONTAINER = 'fetch-source';

/** How the source fetch ended, when it failed. */
export function fetchFailure(pod: V1Pod | undefined): V1ContainerStateTerminated | undefined {
  const terminated = pod?.status?.initContainerStatuses?.find((c) => c.name === FETCH_CONTAINER)?.state?.terminated;
  return terminated && terminated.exitCode !== 0 ? terminated : undefined;
}

/** The container whose log explains a build: the fetch step's when the fetch failed (Kaniko never ran), else Kaniko's. */
export function buildLogContainer(pod: V1Pod | undefined): string {
  return fetchFailure(pod) ? FETCH_CONTAINER : (pod?.spec?.containers[0]?.name ?? 'kaniko');
}

export interface BuildOutcome {
  succeeded: boolean;
  /** The Job passed its activeDeadlineSeconds. */
  timedOut: boolean;
}

function condition(conditions: { type: string; status: string; reason?: string }[] | undefined, type: string) {
  return conditions?.find((c) => c.type === type && c.status === 'True');
}

/** The Job has a pod, or had one. */
export function jobStarted(job: V1Job): boolean {
  const status = job.status;
  return (status?.active ?? 0) + (status?.succeeded ?? 0) + (status?.failed ?? 0) > 0 || status?.startTime !== undefined;
}

/** An image digest as a registry reports it. */
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * The digest of the image a finished build pushed: Kaniko writes it to its
 * termination message (`--digest-file=/dev/termination-log`), which the kubelet
 * copies into the container's terminated state. `null` when there is none.
 */
export function buildDigest(pod: V1Pod | undefined, container = 'kaniko'): string | null {
  const status = pod?.status?.containerStatuses?.find((c) => c.name === container);
  const message = status?.state?.terminated?.message?.trim() ?? '';
  return DIGEST.test(message) ? message : null;
}

/**
 * How a build ended, or `null` while it runs: from the Job's final conditions
 * (`Complete`, `Failed`; they come once the pod has terminated, so its log is whole
 * by then), or sooner from its pod. Kaniko's
 * container ending with exit code 0 and a digest in its termination message is a
 * finished build (the image is pushed); the Job says `Complete` only about two seconds
 * later (the kubelet's status sync, then the Job controller), which a push to live
 * would otherwise wait for. A failure is still read from the Job alone.
 */
export function buildOutcome(job: V1Job, pod?: V1Pod): BuildOutcome | null {
  if (condition(job.status?.conditions, 'Complete')) return { succeeded: true, timedOut: false };
  const failed = condition(job.status?.conditions, 'Failed');
  if (failed) return { succeeded: false, timedOut: failed.reason === 'DeadlineExceeded' };
  const kaniko = pod?.status?.containerStatuses?.find((c) => c.name === 'kaniko')?.state?.terminated;
  if (kaniko?.exitCode === 0 && buildDigest(pod) !== null) return { succeeded: true, timedOut: false };
  return null;
}

/** How long the cluster may refuse to create a rollout's pods before it counts as failed. */
export const REPLICA_FAILURE_GRACE_MS = 60_000;

export type RolloutOutcome = { live: true } | { live: false; reason: string };

/** Waiting reasons that will not fix themselves: the rollout is failed now, not at its deadline. */
const HOPELESS: Record<string, (container: string, image: string, detail: string) => string> = {
  CrashLoopBackOff: (container, _image, detail) => `the new version keeps crashing: container "${container}" ${detail}`,
  ImagePullBackOff: (_container, image, detail) => `the cluster cannot pull the image ${image}${detail}`,
  InvalidImageName: (_container, image) => `the image name ${image} is not valid`,
  CreateContainerConfigError: (container, _image, detail) => `container "${container}" cannot be configured${detail}`,
};

/**
 * How long a new pod may fail to pull its image before the rollout counts as failed. The
 * kubelet's first pull can fail for a moment and the kubelet pulls again after 10 s, then
 * 20 s later: the pull Secret not yet in its cache (the kubelet starts watching it when the
 * first pod naming it arrives and waits 1 s for it, then pulls without credentials: the
 * registry answers "pull access denied"), the registry or its token service restarting.
 * Counted from the pod's sandbox being ready (when its pulls begin): a failure still there
 * after it has outlived the kubelet's second try. The same grace holds for a container the
 * kubelet could not configure because its Secret cache had not synced in time (it retries).
 */
export const IMAGE_PULL_GRACE_MS = 30_000;

/** The kubelet could not read a Secret or ConfigMap from its cache in time: it tries again (its message). */
const CACHE_NOT_SYNCED = /failed to sync (secret|configmap) cache/;

/** When the pod's pulls began: its sandbox ready, else its start, else its creation. */
function pullsBegan(pod: V1Pod): number | null {
  const sandbox = pod.status?.conditions?.find((c) => c.type === 'PodReadyToStartContainers' && c.status === 'True');
  const since = sandbox?.lastTransitionTime ?? pod.status?.startTime ?? pod.metadata?.creationTimestamp;
  return since ? new Date(since).getTime() : null;
}

/** A failure the kubelet retries and that may pass, seen before its grace ran out: not a verdict yet. */
function mayPass(pod: V1Pod, waiting: { reason?: string; message?: string }, now: Date): boolean {
  const transient = waiting.reason === 'ImagePullBackOff' || (waiting.reason === 'CreateContainerConfigError' && CACHE_NOT_SYNCED.test(waiting.message ?? ''));
  const began = pullsBegan(pod);
  return transient && began !== null && now.getTime() - began < IMAGE_PULL_GRACE_MS;
}

/**
 * The rollout of `deployment` (already carrying this deployment's label), read
 * from its status and its new pods; `null` while it is under way.
 * Live: the controller saw the current generation, and updated = available =
 * desired with no old pods left. Failed: past its progress deadline, a new
 * pod is crash-looping or cannot pull its image (still, {@link IMAGE_PULL_GRACE_MS}
 * after its pulls began), or the cluster has refused to
 * create the pods for {@link REPLICA_FAILURE_GRACE_MS}.
 */
export function rolloutOutcome(deployment: V1Deployment, pods: V1Pod[], now: Date): RolloutOutcome | null {
  for (const pod of pods) {
    for (const status of pod.status?.containerStatuses ?? []) {
      const waiting = status.state?.waiting;
      const explain = waiting?.reason ? HOPELESS[waiting.reason] : undefined;
      if (!explain || mayPass(pod, waiting ?? {}, now)) continue;
      const exitCode = status.lastState?.terminated?.exitCode;
      const detail =
        waiting?.reason === 'CrashLoopBackOff'
          ? `restarted ${String(status.restartCount)} time${status.restartCount === 1 ? '' : 's'}${exitCode === undefined ? '' : ` (last exit code ${String(exitCode)})`}`
          : waiting?.message
            ? `: ${waiting.message.slice(0, 300)}`
            : '';
      return { live: false, reason: explain(status.name, status.image, detail) };
    }
  }
  const status = deployment.status;
  // Until the controller has observed this generation, the status and its
  // conditions still describe the previous rollout: its ProgressDeadlineExceeded
  // or ReplicaFailure is not this rollout's verdict.
  if ((status?.observedGeneration ?? -1) < (deployment.metadata?.generation ?? 0)) return null;
  // The ReplicaSet cannot create the pods (admission, quota). A full quota may free up
  // (a build ending), so it counts once it has lasted a while.
  const replicaFailure = status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  const since = replicaFailure?.lastTransitionTime ?? replicaFailure?.lastUpdateTime;
  if (replicaFailure && since && now.getTime() - new Date(since).getTime() >= REPLICA_FAILURE_GRACE_MS) {
    return { live: false, reason: `the cluster refused the new pods: ${(replicaFailure.message ?? replicaFailure.reason ?? '').slice(0, 300)}` };
  }
  const progressing = deployment.status?.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    const seconds = deployment.spec?.progressDeadlineSeconds ?? 600;
    return { live: false, reason: `the rollout did not finish within ${String(seconds)} s` };
  }
  const desired = deployment.spec?.replicas ?? 1;
  if (
    (status?.updatedReplicas ?? 0) === desired &&
    (status?.availableReplicas ?? 0) === desired &&
    (status?.replicas ?? 0) === desired
  ) {
    return { live: true };
  }
  return null;
}
