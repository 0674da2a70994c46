// The pod-behaviour webhook (e2e/support/pod-behaviour.ts) on the harness's cluster: pods of
// a registered commit get the kwok markers as they are created, others are left alone.
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppsV1Api, BatchV1Api, CoreV1Api, Log } from '@kubernetes/client-node';
import type { V1Pod, V1PodTemplateSpec } from '@kubernetes/client-node';

import {
  DEPLOYMENT_LABEL, SOURCE_COMMIT_ANNOTATION, annotationPatch, behaviourMarkers, podCommit, startPodBehaviourWebhook,
} from '../../support/pod-behaviour.js';
import type { PodBehaviourWebhook } from '../../support/pod-behaviour.js';
import { MARKER_CRASH_LOOP, MARKER_FAIL, MARKER_IMAGE_PULL, MARKER_LOG, e2eKubeConfig } from '../src/index.js';
import { pollUntil } from '../src/util.js';

const WAIT = { timeoutMs: 120_000, intervalMs: 250 };
const kc = e2eKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const ns = `pod-behaviour-${Date.now().toString(36)}`;

const newSha = () => randomBytes(20).toString('hex');
const image = (sha: string) => `registry.test/proj/${ns}/web:${sha}`;

/** A build pod template as the product makes it: the commit in an annotation, a builder image. */
function buildTemplate(sha: string): V1PodTemplateSpec {
  return {
    metadata: { labels: { [DEPLOYMENT_LABEL]: randomBytes(8).toString('hex') }, annotations: { [SOURCE_COMMIT_ANNOTATION]: sha } },
    spec: { restartPolicy: 'Never', containers: [{ name: 'kaniko', image: 'gcr.io/kaniko-project/executor:v1.23.2' }] },
  };
}

async function createBuildJob(name: string, sha: string): Promise<void> {
  await batch.createNamespacedJob({
    namespace: ns,
    body: { metadata: { name }, spec: { backoffLimit: 0, template: buildTemplate(sha) } },
  });
}

/** An app Deployment as the product makes it: the commit is the tag of its image. */
async function createApp(name: string, sha: string): Promise<void> {
  const labels = { app: name, [DEPLOYMENT_LABEL]: randomBytes(8).toString('hex') };
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: image(sha) }] } },
      },
    },
  });
}

async function jobCondition(name: string, type: 'Complete' | 'Failed'): Promise<boolean> {
  const j = await batch.readNamespacedJob({ name, namespace: ns });
  return j.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
}

async function podsOf(selector: string): Promise<V1Pod[]> {
  return (await core.listNamespacedPod({ namespace: ns, labelSelector: selector })).items;
}

describe('podCommit, behaviourMarkers, annotationPatch', () => {
  const sha = 'a'.repeat(40);
  it.each([
    ['the source-commit annotation', { metadata: { annotations: { [SOURCE_COMMIT_ANNOTATION]: sha } }, spec: { containers: [{ name: 'c', image: 'kaniko:v1' }] } }, sha],
    ['the image tag', { spec: { containers: [{ name: 'c', image: `reg:5000/p/n/s:${sha}` }] } }, sha],
    ['no 40-hex tag', { spec: { containers: [{ name: 'c', image: 'reg:5000/p/n/s:latest' }] } }, undefined],
    ['a registry port but no tag', { spec: { containers: [{ name: 'c', image: 'reg:5000/p/n/s' }] } }, undefined],
  ])('finds the commit from %s', (_what, pod, expected) => {
    expect(podCommit(pod as V1Pod)).toBe(expected);
  });

  it('gives the app-only markers to long-running pods alone', () => {
    const behaviour = { crashLoop: true, imagePullFails: true, fail: true };
    expect(behaviourMarkers({ spec: { restartPolicy: 'Never', containers: [] } }, behaviour)).toEqual({ [MARKER_FAIL]: 'true' });
    expect(behaviourMarkers({ spec: { restartPolicy: 'Always', containers: [] } }, behaviour)).toEqual({
      [MARKER_FAIL]: 'true', [MARKER_CRASH_LOOP]: 'true', [MARKER_IMAGE_PULL]: 'fail',
    });
  });

  it('creates the annotations map when absent, else adds keys with / escaped', () => {
    expect(annotationPatch({}, { 'a/b': '1' })).toEqual([{ op: 'add', path: '/metadata/annotations', value: { 'a/b': '1' } }]);
    expect(annotationPatch({ metadata: { annotations: {} } }, { 'a/b~c': '1' })).toEqual([
      { op: 'add', path: '/metadata/annotations/a~1b~0c', value: '1' },
    ]);
  });
});

describe('pod behaviour by commit, through the admission webhook', () => {
  let webhook: PodBehaviourWebhook;

  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: ns } } });
    webhook = await startPodBehaviourWebhook(kc);
    // Pods are refused until the namespace has its default ServiceAccount.
    await pollUntil(() => core.readNamespacedServiceAccount({ name: 'default', namespace: ns }), {
      ...WAIT, what: 'the default ServiceAccount',
    });
  });

  afterAll(async () => {
    await webhook.stop();
    await core.deleteNamespace({ name: ns }).catch(() => {});
  });

  it('a build pod of a commit registered to fail with a log ends Failed, and the API serves that log', async () => {
    const sha = newSha();
    webhook.set(sha, { log: 'a\nb\n', fail: true });
    await createBuildJob('build-fail', sha);
    await pollUntil(() => jobCondition('build-fail', 'Failed'), { ...WAIT, what: 'Job build-fail to be Failed' });
    const [pod] = await podsOf('batch.kubernetes.io/job-name=build-fail');
    expect(pod?.status?.phase).toBe('Failed');
    expect(pod?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(1);
    expect(await core.readNamespacedPodLog({ name: pod?.metadata?.name as string, namespace: ns })).toBe('a\nb\n');
  });

  it('app pods of a commit registered to crash-loop wait in CrashLoopBackOff; the Deployment never becomes available', async () => {
    const sha = newSha();
    webhook.set(sha, { crashLoop: true, log: 'panic: boom\n' });
    await createApp('crasher', sha);
    const pod = await pollUntil(
      async () => (await podsOf('app=crasher')).find((p) => p.status?.containerStatuses?.[0]?.state?.waiting),
      { ...WAIT, what: 'a crasher pod with a waiting container' },
    );
    const status = pod.status?.containerStatuses?.[0];
    expect(pod.status?.phase).toBe('Running');
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    expect(status?.ready).toBe(false);
    expect(status?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(status?.state?.waiting?.message).toMatch(/^back-off \d+s restarting failed container=web /);
    expect(status?.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(status?.restartCount).toBeGreaterThanOrEqual(3);
    // The crashed run's log, current and `previous`, as a kubelet serves it.
    const name = pod.metadata?.name as string;
    expect(await core.readNamespacedPodLog({ name, namespace: ns })).toBe('panic: boom\n');
    expect(await core.readNamespacedPodLog({ name, namespace: ns, previous: true })).toBe('panic: boom\n');
    // The container is not running: a follow stream ends at once (bounded by the test timeout).
    expect(await core.readNamespacedPodLog({ name, namespace: ns, follow: true })).toBe('panic: boom\n');

    // The controller has seen the pod (it counts it unavailable), and it stays unavailable.
    await pollUntil(
      async () => (await apps.readNamespacedDeployment({ name: 'crasher', namespace: ns })).status?.unavailableReplicas === 1,
      { ...WAIT, what: 'Deployment crasher to count its pod unavailable' },
    );
    for (let i = 0; i < 10; i++) {
      const d = await apps.readNamespacedDeployment({ name: 'crasher', namespace: ns });
      expect(d.status?.availableReplicas ?? 0).toBe(0);
      expect(d.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('False');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  });

  it('app pods of a commit whose image cannot be pulled stay Pending in ImagePullBackOff', async () => {
    const sha = newSha();
    webhook.set(sha, { imagePullFails: true });
    await createApp('unpullable', sha);
    const pod = await pollUntil(
      async () => (await podsOf('app=unpullable')).find((p) => p.status?.containerStatuses?.[0]?.state?.waiting),
      { ...WAIT, what: 'an unpullable pod with a waiting container' },
    );
    const status = pod.status?.containerStatuses?.[0];
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    expect(status).toMatchObject({ ready: false, restartCount: 0 });
    expect(status?.state?.waiting).toEqual({ reason: 'ImagePullBackOff', message: `Back-off pulling image "${image(sha)}"` });
    await expect(core.readNamespacedPodLog({ name: pod.metadata?.name as string, namespace: ns })).rejects.toMatchObject({
      code: 400,
      body: expect.stringContaining('trying and failing to pull image') as unknown,
    });
    // Still Pending a while later: the stage does not move it on.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const later = await core.readNamespacedPod({ name: pod.metadata?.name as string, namespace: ns });
    expect(later.status?.phase).toBe('Pending');
  });

  it('pods of an unregistered commit behave as by default: the build completes, the app becomes available', async () => {
    const sha = newSha();
    await createBuildJob('build-plain', sha);
    await createApp('plain', sha);
    await pollUntil(() => jobCondition('build-plain', 'Complete'), { ...WAIT, what: 'Job build-plain to be Complete' });
    await pollUntil(
      async () => (await apps.readNamespacedDeployment({ name: 'plain', namespace: ns })).status?.availableReplicas === 1,
      { ...WAIT, what: 'Deployment plain to be available' },
    );
    for (const pod of [...(await podsOf('batch.kubernetes.io/job-name=build-plain')), ...(await podsOf('app=plain'))]) {
      expect(Object.keys(pod.metadata?.annotations ?? {}).filter((k) => k.startsWith('dangus.test/'))).toEqual([]);
    }
  });

  it('a follow stream of a build pod\'s log ends by itself when the pod terminates', async () => {
    const sha = newSha();
    webhook.set(sha, { log: 'one\ntwo\nthree\n', logInterval: '1s', runDuration: '3s' });
    await createBuildJob('build-follow', sha);
    const pod = await pollUntil(
      async () => (await podsOf('batch.kubernetes.io/job-name=build-follow')).find((p) => p.status?.phase === 'Running'),
      { ...WAIT, what: 'the build-follow pod to run' },
    );
    expect(pod.metadata?.annotations?.[MARKER_LOG]).toBe('one\ntwo\nthree\n');
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    const ended = new Promise<void>((resolve) => out.on('end', () => resolve()));
    const request = await new Log(kc).log(ns, pod.metadata?.name as string, 'kaniko', out, { follow: true });
    try {
      await ended; // bounded by the test timeout
    } finally {
      request.abort();
    }
    expect(text).toBe('one\ntwo\nthree\n');
    const after = await core.readNamespacedPod({ name: pod.metadata?.name as string, namespace: ns });
    expect(after.status?.phase).toBe('Succeeded');
    await pollUntil(() => jobCondition('build-follow', 'Complete'), { ...WAIT, what: 'Job build-follow to be Complete' });
  });
});
