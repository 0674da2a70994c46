// kwok's configuration: the Stages that make simulated nodes and pods behave like real
// ones, and the default log source. The plain kwok binary ships no stages of its own
// (kwokctl adds them), so every lifecycle step the tests rely on is spelled out here.
//
// Pod markers (annotations) the stages understand; see README.md:
//   dangus.test/fail: "true"        a terminating pod (restartPolicy Never/OnFailure) ends Failed
//   dangus.test/exit-code: "N"      exit code of that failed container (default 1)
//   dangus.test/run-duration: "5s"  how long a terminating pod runs first (default 1s, Go duration)
//   dangus.test/log: "text"         the pod's log (served by kubelet-logs.ts)
//   dangus.test/log-interval: "1s"  lines of that log appear this far apart from the pod's start
//   dangus.test/crash-loop: "true"  a restartPolicy Always pod crash-loops (CrashLoopBackOff) instead of becoming Ready
//   dangus.test/image-pull: "fail"  a pod cannot pull its image: stays Pending in ImagePullBackOff

export const MARKER_FAIL = 'dangus.test/fail';
export const MARKER_EXIT_CODE = 'dangus.test/exit-code';
export const MARKER_RUN_DURATION = 'dangus.test/run-duration';
export const MARKER_LOG = 'dangus.test/log';
export const MARKER_LOG_INTERVAL = 'dangus.test/log-interval';
export const MARKER_CRASH_LOOP = 'dangus.test/crash-loop';
export const MARKER_IMAGE_PULL = 'dangus.test/image-pull';

/** Annotation kwok uses (here) to pick the Node objects it simulates. */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
export const KWOK_NODE_ANNOTATION_VALUE = 'fake';

const notDeleting = `    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'`;

function nodeStages(kubeletVersion: string, kubeletPort: number): string {
  // Conditions come from kwok's NodeConditions (Ready=True, pressure conditions False).
  const conditions = `      conditions:
      {{ range NodeConditions }}
      - lastHeartbeatTime: {{ $now | Quote }}
        lastTransitionTime: {{ $since | Quote }}
        message: {{ .message | Quote }}
        reason: {{ .reason | Quote }}
        status: {{ .status | Quote }}
        type: {{ .type | Quote }}
      {{ end }}`;
  return `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: dangus-node-initialize
spec:
  resourceRef:
    apiGroup: v1
    kind: Node
  selector:
    matchExpressions:
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: 'NotIn'
      values: ['True']
  next:
    statusTemplate: |
      {{ $now := Now }}
      {{ $since := or .metadata.creationTimestamp $now }}
${conditions}
      addresses:
      - address: {{ NodeIP | Quote }}
        type: InternalIP
      - address: {{ .metadata.name | Quote }}
        type: Hostname
      daemonEndpoints:
        kubeletEndpoint:
          Port: ${kubeletPort}
      allocatable:
        cpu: "32"
        memory: 128Gi
        pods: "250"
        ephemeral-storage: 500Gi
      capacity:
        cpu: "32"
        memory: 128Gi
        pods: "250"
        ephemeral-storage: 500Gi
      nodeInfo:
        architecture: amd64
        operatingSystem: linux
        kubeletVersion: ${kubeletVersion}
        kubeProxyVersion: ${kubeletVersion}
        containerRuntimeVersion: {{ printf "kwok://%s" Version }}
        kernelVersion: kwok
        osImage: kwok simulated node
        bootID: ""
        machineID: ""
        systemUUID: ""
      phase: Running
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: dangus-node-heartbeat
spec:
  resourceRef:
    apiGroup: v1
    kind: Node
  selector:
    matchExpressions:
    - key: '.status.phase'
      operator: 'In'
      values: ['Running']
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: 'In'
      values: ['True']
  delay:
    durationMilliseconds: 60000
    jitterDurationMilliseconds: 70000
  next:
    statusTemplate: |
      {{ $now := Now }}
      {{ $since := or .metadata.creationTimestamp $now }}
${conditions}
`;
}

// jq: true for a pod the crash-loop marker applies to. Run-to-completion pods (a Job's) ignore
// the marker: they run and end as usual, so one marker set on every pod of a commit (see
// e2e/support/pod-behaviour.ts) leaves its build alone.
const crashLooping = `.spec.restartPolicy == "Always" and .metadata.annotations["${MARKER_CRASH_LOOP}"] == "true"`;

// The pod's addresses once a node has taken it (a real kubelet sets them before pulling images).
const podAddresses = `      {{ with NodeIPWith .spec.nodeName }}
      hostIP: {{ . | Quote }}
      hostIPs:
      - ip: {{ . | Quote }}
      {{ end }}
      {{ with PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
      podIP: {{ . | Quote }}
      podIPs:
      - ip: {{ . | Quote }}
      {{ end }}`;

// Ready=False as a kubelet reports it while containers are not ready.
const notReadyConditions = `      conditions:
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: Initialized
      - lastTransitionTime: {{ $now | Quote }}
        status: "False"
        type: Ready
        reason: ContainersNotReady
        message: {{ $unready | Quote }}
      - lastTransitionTime: {{ $now | Quote }}
        status: "False"
        type: ContainersReady
        reason: ContainersNotReady
        message: {{ $unready | Quote }}`;
const unreadyMessage = `{{ $names := list }}{{ range .spec.containers }}{{ $names = append $names .name }}{{ end }}
      {{ $unready := printf "containers with unready status: [%s]" ( join " " $names ) }}`;

function podStages(): string {
  const terminating = `    - key: '.status.phase'
      operator: 'In'
      values: ['Running']
    - key: '.spec.restartPolicy'
      operator: 'In'
      values: ['Never', 'OnFailure']`;
  const runFor = `  delay:
    durationMilliseconds: 1000
    durationFrom:
      expressionFrom: '.metadata.annotations["${MARKER_RUN_DURATION}"]'`;
  const terminated = (phase: 'Succeeded' | 'Failed') => `    statusTemplate: |
      {{ $now := Now }}
      {{ $annotations := or .metadata.annotations dict }}
      {{ $started := or .status.startTime $now }}
      conditions:
      - lastTransitionTime: {{ $now | Quote }}
        status: "False"
        type: Ready
        reason: PodCompleted
      - lastTransitionTime: {{ $now | Quote }}
        status: "False"
        type: ContainersReady
        reason: PodCompleted
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        imageID: {{ printf "kwok://%s" .image | Quote }}
        containerID: {{ printf "kwok://%s" .name | Quote }}
        name: {{ .name | Quote }}
        ready: false
        started: false
        restartCount: 0
        state:
          terminated:
${
  phase === 'Succeeded'
    ? `            exitCode: 0
            reason: Completed
            message: {{ printf "sha256:%s" (sha256sum $.metadata.name) | Quote }}`
    : `            exitCode: {{ or ( index $annotations "${MARKER_EXIT_CODE}" ) "1" }}
            reason: Error`
}
            startedAt: {{ $started | Quote }}
            finishedAt: {{ $now | Quote }}
      {{ end }}
      phase: ${phase}`;
  return `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: dangus-pod-ready
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
${notDeleting}
    - key: '.status.phase'
      operator: 'In'
      values: ['Pending']
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: 'NotIn'
      values: ['True']
    - key: '${crashLooping}'
      operator: 'NotIn'
      values: ['true']
    - key: '.metadata.annotations["${MARKER_IMAGE_PULL}"]'
      operator: 'NotIn'
      values: ['fail']
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: Initialized
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: Ready
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: ContainersReady
      {{ range .spec.readinessGates }}
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: {{ .conditionType | Quote }}
      {{ end }}
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        imageID: {{ printf "kwok://%s" .image | Quote }}
        containerID: {{ printf "kwok://%s" .name | Quote }}
        name: {{ .name | Quote }}
        ready: true
        started: true
        restartCount: 0
        state:
          running:
            startedAt: {{ $now | Quote }}
      {{ end }}
      initContainerStatuses:
      {{ range .spec.initContainers }}
      - image: {{ .image | Quote }}
        imageID: {{ printf "kwok://%s" .image | Quote }}
        containerID: {{ printf "kwok://%s" .name | Quote }}
        name: {{ .name | Quote }}
        ready: true
        restartCount: 0
        state:
          terminated:
            exitCode: 0
            reason: Completed
            startedAt: {{ $now | Quote }}
            finishedAt: {{ $now | Quote }}
      {{ end }}
${podAddresses}
      phase: Running
      startTime: {{ $now | Quote }}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: dangus-pod-crash-loop
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
${notDeleting}
    - key: '.status.phase'
      operator: 'In'
      values: ['Pending']
    - key: '${crashLooping}'
      operator: 'In'
      values: ['true']
  next:
    # Straight to what a kubelet shows after the third failed start: waiting in
    # CrashLoopBackOff, the last run terminated with an error. Phase Running (a pod with
    # restartPolicy Always never reaches Failed); the status then stays as it is.
    statusTemplate: |
      {{ $now := Now }}
      {{ $annotations := or .metadata.annotations dict }}
      {{ $exitCode := or ( index $annotations "${MARKER_EXIT_CODE}" ) "1" }}
      ${unreadyMessage}
${notReadyConditions}
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        imageID: {{ printf "kwok://%s" .image | Quote }}
        containerID: {{ printf "kwok://%s" .name | Quote }}
        name: {{ .name | Quote }}
        ready: false
        started: false
        restartCount: 3
        state:
          waiting:
            reason: CrashLoopBackOff
            message: {{ printf "back-off 40s restarting failed container=%s pod=%s_%s(%s)" .name $.metadata.name $.metadata.namespace $.metadata.uid | Quote }}
        lastState:
          terminated:
            containerID: {{ printf "kwok://%s" .name | Quote }}
            exitCode: {{ $exitCode }}
            reason: Error
            startedAt: {{ $now | Quote }}
            finishedAt: {{ $now | Quote }}
      {{ end }}
${podAddresses}
      phase: Running
      startTime: {{ $now | Quote }}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: dangus-pod-image-pull-fail
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
${notDeleting}
    - key: '.status.phase'
      operator: 'In'
      values: ['Pending']
    - key: '.metadata.annotations["${MARKER_IMAGE_PULL}"]'
      operator: 'In'
      values: ['fail']
    # Once: the pod stays Pending, and without this the stage would match its own result again.
    - key: '.status.containerStatuses'
      operator: 'DoesNotExist'
  next:
    statusTemplate: |
      {{ $now := Now }}
      ${unreadyMessage}
${notReadyConditions}
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        imageID: ""
        name: {{ .name | Quote }}
        ready: false
        started: false
        restartCount: 0
        state:
          waiting:
            reason: ImagePullBackOff
            message: {{ printf "Back-off pulling image %q" .image | Quote }}
      {{ end }}
${podAddresses}
      phase: Pending
      startTime: {{ $now | Quote }}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: dangus-pod-succeed
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
${notDeleting}
${terminating}
    - key: '.metadata.annotations["${MARKER_FAIL}"]'
      operator: 'NotIn'
      values: ['true']
${runFor}
  next:
${terminated('Succeeded')}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: dangus-pod-fail
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
${notDeleting}
${terminating}
    - key: '.metadata.annotations["${MARKER_FAIL}"]'
      operator: 'In'
      values: ['true']
${runFor}
  next:
${terminated('Failed')}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: dangus-pod-delete
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'Exists'
  next:
    delete: true
`;
}

/**
 * The whole kwok --config file. Nodes advertise 127.0.0.1:`kubeletPort` as their kubelet
 * endpoint: the harness's log server (kubelet-logs.ts), not kwok, listens there.
 */
export function kwokConfig(opts: { kubeletVersion: string; kubeletPort: number }): string {
  return [nodeStages(opts.kubeletVersion, opts.kubeletPort), podStages()].join('---\n');
}
