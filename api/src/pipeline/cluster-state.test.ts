import { describe, expect, it } from '@jest/globals';
import type { V1ContainerStatus, V1Deployment, V1DeploymentCondition, V1Job, V1JobCondition, V1Pod } from '@kubernetes/client-node';
import { IMAGE_PULL_GRACE_MS, REPLICA_FAILURE_GRACE_MS, buildDigest, buildOutcome, jobStarted, rolloutOutcome } from './cluster-state.js';

const STARTED = new Date('2025-11-27T10:00:00Z');
const ENDED = new Date('2025-11-27T10:03:00Z');
/** When the rollout is judged: the deployment conditions below date from STARTED, a grace period ago. */
const NOW = new Date(STARTED.getTime() + REPLICA_FAILURE_GRACE_MS);
const IMAGE = 'registry.dangus.local/a1b2c3/web:0f3c9e1';

function condition(type: string, status: string, reason?: string, message?: string): V1JobCondition {
  return { type, status, reason, message, lastProbeTime: ENDED, lastTransitionTime: ENDED };
}

/** A build Job as the Job controller reports it. */
function job(status: V1Job['status']): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'build-web-0f3c9e1', namespace: 'a1b2c3-shop', generation: 1 },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: 1800,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'kaniko', image: 'gcr.io/kaniko-project/executor:v1.23.2' }] } },
    },
    status,
  };
}

describe('buildOutcome', () => {
  it.each<[string, V1Job['status'], ReturnType<typeof buildOutcome>]>([
    ['a Job not yet started', {}, null],
    ['a running Job', { active: 1, ready: 1, startTime: STARTED }, null],
    [
      'a Job with Complete=True',
      {
        succeeded: 1,
        startTime: STARTED,
        completionTime: ENDED,
        conditions: [condition('SuccessCriteriaMet', 'True', 'CompletionsReached'), condition('Complete', 'True', 'CompletionsReached')],
      },
      { succeeded: true, timedOut: false },
    ],
    [
      'a Job Failed with BackoffLimitExceeded',
      {
        failed: 1,
        startTime: STARTED,
        conditions: [
          condition('FailureTarget', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
          condition('Failed', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
        ],
      },
      { succeeded: false, timedOut: false },
    ],
    [
      'a Job Failed with DeadlineExceeded',
      {
        failed: 1,
        startTime: STARTED,
        conditions: [
          condition('FailureTarget', 'True', 'DeadlineExceeded', 'Job was active longer than specified deadline'),
          condition('Failed', 'True', 'DeadlineExceeded', 'Job was active longer than specified deadline'),
        ],
      },
      { succeeded: false, timedOut: true },
    ],
    [
      'only SuccessCriteriaMet (the pod may still be terminating)',
      { active: 1, succeeded: 1, startTime: STARTED, conditions: [condition('SuccessCriteriaMet', 'True', 'CompletionsReached')] },
      null,
    ],
    [
      'only FailureTarget (the pod may still be terminating)',
      { active: 1, startTime: STARTED, conditions: [condition('FailureTarget', 'True', 'DeadlineExceeded')] },
      null,
    ],
    [
      'Complete and Failed conditions with status False',
      { active: 1, startTime: STARTED, conditions: [condition('Complete', 'False'), condition('Failed', 'False', 'DeadlineExceeded')] },
      null,
    ],
  ])('for %s, gives %j', (_name, status, expected) => {
    expect(buildOutcome(job(status))).toEqual(expected);
  });

  const running = job({ active: 1, startTime: STARTED });
  const podWith = (terminated: V1ContainerStatus['state']): V1Pod => ({
    status: { containerStatuses: [{ name: 'kaniko', image: 'kaniko', imageID: '', ready: false, restartCount: 0, state: terminated }] },
  });
  const digest = `sha256:${'cd'.repeat(32)}`;

  it('is a success as soon as Kaniko ended with exit code 0 and its digest, before the Job says Complete', () => {
    expect(buildOutcome(running, podWith({ terminated: { exitCode: 0, message: `${digest}\n` } }))).toEqual({ succeeded: true, timedOut: false });
  });

  it.each<[string, V1ContainerStatus['state']]>([
    ['Kaniko still running', { running: { startedAt: STARTED } }],
    ['Kaniko ended without a digest', { terminated: { exitCode: 0, message: '' } }],
    ['Kaniko failed (the Job says so next)', { terminated: { exitCode: 1, message: digest } }],
  ])('waits for the Job when %s', (_name, state) => {
    expect(buildOutcome(running, podWith(state))).toBeNull();
  });
});

describe('buildDigest', () => {
  const DIGEST = `sha256:${'ab'.repeat(32)}`;
  const pod = (statuses: V1ContainerStatus[]): V1Pod => ({ status: { containerStatuses: statuses } });
  const terminated = (name: string, message?: string): V1ContainerStatus => ({
    name,
    image: 'kaniko',
    imageID: '',
    ready: false,
    restartCount: 0,
    state: { terminated: { exitCode: 0, ...(message === undefined ? {} : { message }) } },
  });

  it.each([
    ['the digest Kaniko wrote', [terminated('kaniko', DIGEST)], DIGEST],
    ['the digest with a trailing newline', [terminated('kaniko', `${DIGEST}\n`)], DIGEST],
    ['no termination message', [terminated('kaniko')], null],
    ['a message that is not a digest', [terminated('kaniko', 'sha256:xyz; rm -rf /')], null],
    ['a digest of another container', [terminated('sidecar', DIGEST)], null],
    ['no container status at all', [], null],
  ])('reads %s', (_label, statuses, expected) => {
    expect(buildDigest(pod(statuses))).toBe(expected);
  });

  it('is null without a pod', () => {
    expect(buildDigest(undefined)).toBeNull();
  });
});

describe('jobStarted', () => {
  it.each<[string, V1Job['status'], boolean]>([
    ['no status at all', undefined, false],
    ['an empty status (just created)', {}, false],
    ['all counts zero and no start time', { active: 0, succeeded: 0, failed: 0 }, false],
    ['a start time only (pod being created)', { startTime: STARTED }, true],
    ['an active pod', { active: 1 }, true],
    ['a succeeded pod', { succeeded: 1 }, true],
    ['a failed pod', { failed: 1 }, true],
  ])('with %s, is %s', (_name, status, expected) => {
    expect(jobStarted(job(status))).toBe(expected);
  });
});

function deploymentCondition(type: string, status: string, reason: string, message: string, since = STARTED): V1DeploymentCondition {
  return { type, status, reason, message, lastUpdateTime: since, lastTransitionTime: since };
}

const PROGRESSING = deploymentCondition('Progressing', 'True', 'ReplicaSetUpdated', 'ReplicaSet "web-7d9f8c6b5d" is progressing.');
const AVAILABLE = deploymentCondition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.');

/** A service's Deployment at generation 4, 2 replicas wanted, rolled out unless `status` says otherwise. */
function deployment(status: Partial<NonNullable<V1Deployment['status']>>, spec: Partial<NonNullable<V1Deployment['spec']>> = {}): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'a1b2c3-shop', generation: 4, labels: { 'dangus.cloud/deployment': 'dep-1' } },
    spec: {
      replicas: 2,
      progressDeadlineSeconds: 300,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: IMAGE }] } },
      ...spec,
    },
    status: {
      observedGeneration: 4,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      conditions: [AVAILABLE, deploymentCondition('Progressing', 'True', 'NewReplicaSetAvailable', 'ReplicaSet "web-7d9f8c6b5d" has successfully progressed.')],
      ...status,
    },
  };
}

function container(status: Partial<V1ContainerStatus>): V1ContainerStatus {
  return { name: 'web', image: IMAGE, imageID: '', ready: false, restartCount: 0, started: false, ...status };
}

/** A new pod of the rollout with these container statuses, its sandbox ready (its pulls begun) at `began`. */
function podSince(began: Date, ...containerStatuses: V1ContainerStatus[]): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-7d9f8c6b5d-x2k9p', namespace: 'a1b2c3-shop', labels: { app: 'web', 'dangus.cloud/deployment': 'dep-1' }, creationTimestamp: began },
    spec: { containers: [{ name: 'web', image: IMAGE }] },
    status: {
      phase: 'Pending',
      startTime: began,
      conditions: [{ type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: began }],
      containerStatuses,
    },
  };
}

/** A new pod of the rollout with these container statuses, started a minute before NOW. */
function pod(...containerStatuses: V1ContainerStatus[]): V1Pod {
  return podSince(STARTED, ...containerStatuses);
}

const running = container({ ready: true, started: true, state: { running: { startedAt: STARTED } } });

describe('rolloutOutcome', () => {
  describe('is live', () => {
    it.each<[string, V1Deployment, V1Pod[]]>([
      ['when the current generation is observed and updated = available = replicas = desired', deployment({}), [pod(running), pod(running)]],
      ['when spec.replicas is missing (1) and one pod is up', deployment({ replicas: 1, updatedReplicas: 1, availableReplicas: 1, readyReplicas: 1 }, { replicas: undefined }), [pod(running)]],
      [
        'when scaled to zero and nothing is left',
        deployment({ replicas: undefined, updatedReplicas: undefined, availableReplicas: undefined, readyReplicas: undefined }, { replicas: 0 }),
        [],
      ],
    ])('%s', (_name, d, pods) => {
      expect(rolloutOutcome(d, pods, NOW)).toEqual({ live: true });
    });
  });

  describe('is still under way (null)', () => {
    it.each<[string, V1Deployment]>([
      ['when the controller has not observed the new generation', deployment({ observedGeneration: 3 })],
      ['when the status has no observedGeneration yet', deployment({ observedGeneration: undefined })],
      ['when old pods are still there (replicas > desired)', deployment({ replicas: 3, updatedReplicas: 2, availableReplicas: 2, conditions: [AVAILABLE, PROGRESSING] })],
      ['when fewer pods are updated than desired', deployment({ updatedReplicas: 1, conditions: [AVAILABLE, PROGRESSING] })],
      ['when fewer pods are available than desired', deployment({ availableReplicas: 1, readyReplicas: 1, conditions: [AVAILABLE, PROGRESSING] })],
      ['when spec.replicas is missing (1) but two pods are still there', deployment({ replicas: 2, updatedReplicas: 1, availableReplicas: 1 }, { replicas: undefined })],
      ['when the Deployment has no status yet', Object.assign(deployment({}), { status: undefined })],
      [
        'when the cluster has refused the new pods for less than the grace period (a quota may free up)',
        deployment({
          replicas: 0,
          updatedReplicas: 0,
          availableReplicas: 0,
          conditions: [
            PROGRESSING,
            deploymentCondition(
              'ReplicaFailure',
              'True',
              'FailedCreate',
              'pods "web-7d9f8c6b5d-" is forbidden: exceeded quota: compute',
              new Date(NOW.getTime() - REPLICA_FAILURE_GRACE_MS + 1),
            ),
          ],
        }),
      ],
      [
        'when the Progressing condition is False for another reason',
        deployment({ availableReplicas: 1, conditions: [deploymentCondition('Progressing', 'False', 'SomethingElse', 'x')] }),
      ],
    ])('%s', (_name, d) => {
      expect(rolloutOutcome(d, [pod(running)], NOW)).toBeNull();
    });

    it.each<[string, V1ContainerStatus]>([
      ['ErrImagePull (transient: the kubelet retries before ImagePullBackOff)', container({ state: { waiting: { reason: 'ErrImagePull', message: 'failed to pull and unpack image' } } })],
      ['ContainerCreating', container({ state: { waiting: { reason: 'ContainerCreating' } } })],
      ['a first crash, not yet backed off', container({ restartCount: 1, state: { running: { startedAt: STARTED } }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } })],
    ])('when a new pod shows %s', (_name, status) => {
      expect(rolloutOutcome(deployment({ availableReplicas: 1, conditions: [PROGRESSING] }), [pod(status)], NOW)).toBeNull();
    });

    // The kubelet's first pull can fail for a moment (its pull Secret not yet in its cache: it
    // pulls without credentials) and it pulls again 10 s later: not a verdict before it has.
    const justBegun = new Date(NOW.getTime() - IMAGE_PULL_GRACE_MS + 1);
    it.each<[string, V1ContainerStatus]>([
      [
        'ImagePullBackOff (a pull without its Secret: pull access denied)',
        container({
          state: {
            waiting: {
              reason: 'ImagePullBackOff',
              message: `Back-off pulling image "${IMAGE}": ErrImagePull: failed to pull and unpack image "${IMAGE}": failed to resolve reference "${IMAGE}": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`,
            },
          },
        }),
      ],
      [
        'CreateContainerConfigError from the kubelet\'s Secret cache not synced yet',
        container({ state: { waiting: { reason: 'CreateContainerConfigError', message: 'failed to sync secret cache: timed out waiting for the condition' } } }),
      ],
    ])('when a new pod shows %s less than the grace period after its pulls began', (_name, status) => {
      expect(rolloutOutcome(deployment({ availableReplicas: 1, conditions: [PROGRESSING] }), [podSince(justBegun, status)], NOW)).toBeNull();
    });

    it.each<[string, V1DeploymentCondition]>([
      ['ProgressDeadlineExceeded', deploymentCondition('Progressing', 'False', 'ProgressDeadlineExceeded', 'ReplicaSet "web-5c4b9d7f6" has timed out progressing.')],
      ['ReplicaFailure', deploymentCondition('ReplicaFailure', 'True', 'FailedCreate', 'pods "web-5c4b9d7f6-" is forbidden: exceeded quota')],
    ])('when a %s condition is left from the previous generation (not yet observed)', (_name, stale) => {
      // Right after the spec update the status is still the previous rollout's:
      // its verdict must not fail the new one.
      expect(rolloutOutcome(deployment({ observedGeneration: 3, availableReplicas: 0, conditions: [stale] }), [], NOW)).toBeNull();
    });
  });

  describe('is failed', () => {
    it.each<[string, V1Deployment, string]>([
      [
        'past its progress deadline',
        deployment({
          availableReplicas: 1,
          updatedReplicas: 1,
          conditions: [AVAILABLE, deploymentCondition('Progressing', 'False', 'ProgressDeadlineExceeded', 'ReplicaSet "web-7d9f8c6b5d" has timed out progressing.')],
        }),
        'the rollout did not finish within 300 s',
      ],
      [
        'past the default progress deadline (600 s) when none is set',
        deployment(
          { availableReplicas: 0, conditions: [deploymentCondition('Progressing', 'False', 'ProgressDeadlineExceeded', 'timed out')] },
          { progressDeadlineSeconds: undefined },
        ),
        'the rollout did not finish within 600 s',
      ],
      [
        'when the ReplicaSet has not been able to create pods (ReplicaFailure) for the grace period',
        deployment({
          replicas: 0,
          updatedReplicas: 0,
          availableReplicas: 0,
          conditions: [
            PROGRESSING,
            deploymentCondition(
              'ReplicaFailure',
              'True',
              'FailedCreate',
              'pods "web-7d9f8c6b5d-" is forbidden: exceeded quota: compute, requested: memory=512Mi, used: memory=1Gi, limited: memory=1Gi',
            ),
          ],
        }),
        'the cluster refused the new pods: pods "web-7d9f8c6b5d-" is forbidden: exceeded quota: compute, requested: memory=512Mi, used: memory=1Gi, limited: memory=1Gi',
      ],
    ])('%s', (_name, d, reason) => {
      expect(rolloutOutcome(d, [], NOW)).toEqual({ live: false, reason });
    });

    it.each<[string, V1ContainerStatus, string]>([
      [
        'CrashLoopBackOff, with restart count and last exit code',
        container({
          restartCount: 5,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container=web pod=web-7d9f8c6b5d-x2k9p' } },
          lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: STARTED, finishedAt: ENDED } },
        }),
        'the new version keeps crashing: container "web" restarted 5 times (last exit code 137)',
      ],
      [
        'CrashLoopBackOff after one restart, no last state',
        container({ restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } } }),
        'the new version keeps crashing: container "web" restarted 1 time',
      ],
      [
        'ImagePullBackOff, with its message',
        container({ state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${IMAGE}": ErrImagePull: not found` } } }),
        `the cluster cannot pull the image ${IMAGE}: Back-off pulling image "${IMAGE}": ErrImagePull: not found`,
      ],
      ['ImagePullBackOff without a message', container({ state: { waiting: { reason: 'ImagePullBackOff' } } }), `the cluster cannot pull the image ${IMAGE}`],
      [
        'InvalidImageName',
        container({ image: 'registry.dangus.local/Web:latest', state: { waiting: { reason: 'InvalidImageName', message: 'Failed to apply default image tag' } } }),
        'the image name registry.dangus.local/Web:latest is not valid',
      ],
      [
        'CreateContainerConfigError, with its message',
        container({ state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "web-env" not found' } } }),
        'container "web" cannot be configured: secret "web-env" not found',
      ],
    ])('when a new pod shows %s', (_name, status, reason) => {
      // Even while the Deployment status still looks fine: the pod verdict comes first.
      expect(rolloutOutcome(deployment({ availableReplicas: 1, conditions: [AVAILABLE, PROGRESSING] }), [pod(running), pod(status)], NOW)).toEqual({
        live: false,
        reason,
      });
    });

    it('fails a pull still failing once the grace period has passed since its pulls began', () => {
      const status = container({ state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${IMAGE}": ErrImagePull: not found` } } });
      const began = new Date(NOW.getTime() - IMAGE_PULL_GRACE_MS);
      expect(rolloutOutcome(deployment({ availableReplicas: 1, conditions: [PROGRESSING] }), [podSince(began, status)], NOW)).toEqual({
        live: false,
        reason: `the cluster cannot pull the image ${IMAGE}: Back-off pulling image "${IMAGE}": ErrImagePull: not found`,
      });
    });

    it('fails a missing Secret at once, within the grace period: the kubelet read it, it is not there', () => {
      const status = container({ state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "web-env" not found' } } });
      const began = new Date(NOW.getTime() - 1_000);
      expect(rolloutOutcome(deployment({}), [podSince(began, status)], NOW)).toEqual({
        live: false,
        reason: 'container "web" cannot be configured: secret "web-env" not found',
      });
    });

    it('keeps a long waiting message to 300 characters', () => {
      const message = 'x'.repeat(1_000);
      const outcome = rolloutOutcome(deployment({}), [pod(container({ state: { waiting: { reason: 'CreateContainerConfigError', message } } }))], NOW);
      expect(outcome).toEqual({ live: false, reason: `container "web" cannot be configured: ${'x'.repeat(300)}` });
    });

    it('names the failing container of a pod with a sidecar', () => {
      const sidecar = container({ name: 'proxy', image: 'envoyproxy/envoy:v1.31', ready: true, state: { running: { startedAt: STARTED } } });
      const app = container({ restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } });
      expect(rolloutOutcome(deployment({}), [pod(sidecar, app)], NOW)).toEqual({
        live: false,
        reason: 'the new version keeps crashing: container "web" restarted 3 times (last exit code 1)',
      });
    });
  });
});
