// A mutating admission webhook for the e2e tests: decides, per commit, how the simulated
// pods of the product behave. The product's pod templates stay as they are; the webhook
// adds the kwok markers (e2e/cluster/README.md, "Test markers") to every pod of a
// registered commit as the pod is created. A commit is found on the pod itself: the build
// pod's `dangus.cloud/source-commit` annotation, or the tag of an app pod's image.
//
// The apiserver calls https://127.0.0.1:<port>/mutate: this works with the harness's own
// control plane (kube-apiserver runs on this host), not with an external cluster.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { AdmissionregistrationV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1MutatingWebhookConfiguration, V1Pod } from '@kubernetes/client-node';

import {
  MARKER_CRASH_LOOP, MARKER_EXIT_CODE, MARKER_FAIL, MARKER_IMAGE_PULL, MARKER_LOG, MARKER_LOG_INTERVAL,
  MARKER_RUN_DURATION, createServingCert,
} from '../cluster/src/index.js';
import { pollUntil } from '../cluster/src/util.js';

/** Label on every pod the product creates (gitops-writer's DEPLOYMENT_LABEL). */
export const DEPLOYMENT_LABEL = 'dangus.cloud/deployment';
/** Annotation of a build pod: the commit it builds. */
export const SOURCE_COMMIT_ANNOTATION = 'dangus.cloud/source-commit';

/**
 * How the pods of one commit behave. `log`/`logInterval` apply to every pod of the commit
 * (build and app); `fail`, `exitCode` and `runDuration` to run-to-completion pods (the
 * build Job's); `crashLoop` and `imagePullFails` only to long-running pods
 * (restartPolicy Always: the app's), so the build of that commit still runs as usual.
 */
export interface PodBehaviour {
  /** The pod's log (`dangus.test/log`). */
  log?: string;
  /** Lines of that log appear this far apart (Go duration, `dangus.test/log-interval`). */
  logInterval?: string;
  /** How long a build pod runs before it ends (Go duration, `dangus.test/run-duration`). */
  runDuration?: string;
  /** The build pod ends Failed (`dangus.test/fail`). */
  fail?: boolean;
  /** Exit code of the failed build container, or of the crash-looping app container's last run. */
  exitCode?: number;
  /** App pods crash-loop: Running, never Ready, waiting in CrashLoopBackOff (`dangus.test/crash-loop`). */
  crashLoop?: boolean;
  /** App pods stay Pending in ImagePullBackOff (`dangus.test/image-pull: fail`). */
  imagePullFails?: boolean;
}

export interface PodBehaviourWebhook {
  /** Pods of commit `sha` created from now on behave as `behaviour` (replaces an earlier one). */
  set(sha: string, behaviour: PodBehaviour): void;
  /** Pods of commit `sha` created from now on behave as by default. */
  clear(sha: string): void;
  /** Removes the webhook configuration, then stops the server. */
  stop(): Promise<void>;
}

interface JsonPatchOp {
  op: 'add';
  path: string;
  value: unknown;
}

const SHA = /^[0-9a-f]{40}$/;

/** The commit a pod belongs to: its source-commit annotation, else its first image's tag. */
export function podCommit(pod: V1Pod): string | undefined {
  const annotated = pod.metadata?.annotations?.[SOURCE_COMMIT_ANNOTATION];
  if (annotated !== undefined && SHA.test(annotated)) return annotated;
  // `repo:tag@sha256:…` since deploys are by digest: the tag is before the `@`.
  const image = (pod.spec?.containers[0]?.image ?? '').split('@')[0] ?? '';
  const tag = image.slice(image.lastIndexOf(':') + 1);
  return image.includes(':') && SHA.test(tag) ? tag : undefined;
}

/** The marker annotations for `behaviour` on `pod` (a long-running pod gets the app-only ones). */
export function behaviourMarkers(pod: V1Pod, behaviour: PodBehaviour): Record<string, string> {
  const markers: Record<string, string> = {};
  if (behaviour.log !== undefined) markers[MARKER_LOG] = behaviour.log;
  if (behaviour.logInterval !== undefined) markers[MARKER_LOG_INTERVAL] = behaviour.logInterval;
  if (behaviour.runDuration !== undefined) markers[MARKER_RUN_DURATION] = behaviour.runDuration;
  if (behaviour.fail) markers[MARKER_FAIL] = 'true';
  if (behaviour.exitCode !== undefined) markers[MARKER_EXIT_CODE] = String(behaviour.exitCode);
  // The API server has defaulted the pod before mutating admission; Always is the default.
  const longRunning = (pod.spec?.restartPolicy ?? 'Always') === 'Always';
  if (longRunning && behaviour.crashLoop) markers[MARKER_CRASH_LOOP] = 'true';
  if (longRunning && behaviour.imagePullFails) markers[MARKER_IMAGE_PULL] = 'fail';
  return markers;
}

/** A JSONPatch (RFC 6902) that sets `annotations` on `pod`, creating the map when absent. */
export function annotationPatch(pod: V1Pod, annotations: Record<string, string>): JsonPatchOp[] {
  if (Object.keys(annotations).length === 0) return [];
  if (!pod.metadata?.annotations) return [{ op: 'add', path: '/metadata/annotations', value: annotations }];
  // RFC 6901: `~` is written `~0` and `/` is written `~1` in a path segment.
  const segment = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');
  return Object.entries(annotations).map(([key, value]) => ({ op: 'add', path: `/metadata/annotations/${segment(key)}`, value }));
}

interface AdmissionRequest {
  uid: string;
  object?: V1Pod;
}

function admissionRequest(body: unknown): AdmissionRequest | undefined {
  const request = (body as { request?: unknown } | null)?.request as Partial<AdmissionRequest> | undefined;
  return typeof request?.uid === 'string' ? { uid: request.uid, object: request.object } : undefined;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Starts the webhook server on 127.0.0.1 (a random port, a certificate from a fresh CA),
 * registers a MutatingWebhookConfiguration for it (pods with the `dangus.cloud/deployment`
 * label, on CREATE; failurePolicy Ignore, so a stopped webhook blocks nothing) and returns
 * once the apiserver calls it. Pods of commits not registered with `set` pass unchanged.
 */
export async function startPodBehaviourWebhook(kube: KubeConfig): Promise<PodBehaviourWebhook> {
  const behaviours = new Map<string, PodBehaviour>();
  const name = `dangus-test-pod-behaviour-${randomBytes(4).toString('hex')}`;

  const dir = await mkdtemp(join(tmpdir(), 'dangus-pod-behaviour-'));
  let tls: { ca: Buffer; cert: Buffer; key: Buffer };
  try {
    const files = await createServingCert(dir, { name: 'pod-behaviour-webhook', ips: ['127.0.0.1'] });
    tls = { ca: await readFile(files.caCert), cert: await readFile(files.cert), key: await readFile(files.key) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const answer = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST' || req.url?.split('?')[0] !== '/mutate') {
      answer(res, 404, { error: 'not found' });
      return;
    }
    const request = admissionRequest(JSON.parse(await readBody(req)));
    if (!request) {
      answer(res, 400, { error: 'not an AdmissionReview request' });
      return;
    }
    const pod = request.object ?? {};
    const sha = podCommit(pod);
    const behaviour = sha === undefined ? undefined : behaviours.get(sha);
    const patch = behaviour ? annotationPatch(pod, behaviourMarkers(pod, behaviour)) : [];
    answer(res, 200, {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: {
        uid: request.uid,
        allowed: true,
        ...(patch.length > 0 ? { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') } : {}),
      },
    });
  };
  const server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    handle(req, res).catch((err: unknown) => answer(res, 400, { error: String(err) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const closeServer = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  const admission = kube.makeApiClient(AdmissionregistrationV1Api);
  const config: V1MutatingWebhookConfiguration = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'dangus-e2e' } },
    webhooks: [
      {
        name: 'pod-behaviour.dangus.test',
        clientConfig: { url: `https://127.0.0.1:${port}/mutate`, caBundle: tls.ca.toString('base64') },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        objectSelector: { matchExpressions: [{ key: DEPLOYMENT_LABEL, operator: 'Exists' }] },
        failurePolicy: 'Ignore',
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        // A slow answer on a loaded machine must not turn into an unmarked pod (Ignore).
        timeoutSeconds: 20,
        reinvocationPolicy: 'Never',
      },
    ],
  };
  const removeConfig = async () => {
    await admission.deleteMutatingWebhookConfiguration({ name }).catch((err: unknown) => {
      if ((err as { code?: number }).code !== 404) throw err;
    });
  };
  try {
    await admission.createMutatingWebhookConfiguration({ body: config });
    await untilEffective(kube, behaviours);
  } catch (err) {
    await removeConfig().catch(() => {});
    await closeServer();
    throw new Error(`the pod-behaviour webhook at https://127.0.0.1:${port}/mutate did not start`, { cause: err });
  }

  return {
    set: (sha, behaviour) => {
      if (!SHA.test(sha)) throw new Error(`not a 40-hex commit sha: ${sha}`);
      behaviours.set(sha, behaviour);
    },
    clear: (sha) => void behaviours.delete(sha),
    stop: async () => {
      try {
        await removeConfig();
      } finally {
        await closeServer();
      }
    },
  };
}

/**
 * Returns once the apiserver sends pods to the webhook (it picks up a new configuration
 * asynchronously): a dry-run pod of a probe commit comes back with the probe's marker.
 */
async function untilEffective(kube: KubeConfig, behaviours: Map<string, PodBehaviour>): Promise<void> {
  const core = kube.makeApiClient(CoreV1Api);
  const probe = randomBytes(20).toString('hex');
  behaviours.set(probe, { log: `probe ${probe}` });
  try {
    await pollUntil(
      async () => {
        const pod = await core.createNamespacedPod({
          namespace: 'default',
          dryRun: 'All',
          body: {
            metadata: {
              generateName: 'pod-behaviour-probe-',
              labels: { [DEPLOYMENT_LABEL]: 'probe' },
              annotations: { [SOURCE_COMMIT_ANNOTATION]: probe },
            },
            spec: { restartPolicy: 'Never', containers: [{ name: 'probe', image: 'probe:latest' }] },
          },
        });
        return pod.metadata?.annotations?.[MARKER_LOG] === `probe ${probe}`;
      },
      {
        what: 'the apiserver to call the pod-behaviour webhook (a dry-run pod to come back mutated); ' +
          'it must run on this host, as the harness\'s kube-apiserver does',
        timeoutMs: 30_000,
        intervalMs: 200,
      },
    );
  } finally {
    behaviours.delete(probe);
  }
}
