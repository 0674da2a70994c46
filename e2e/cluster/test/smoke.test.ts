// Smoke test of the e2e control plane, through @kubernetes/client-node only.
// No timing assertions: every wait polls with a generous timeout.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AppsV1Api,
  AuthenticationV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  Log,
  VersionApi,
} from '@kubernetes/client-node';
import type { V1Job, V1PodTemplateSpec } from '@kubernetes/client-node';

import { PassThrough } from 'node:stream';

import { MARKER_FAIL, MARKER_LOG, MARKER_LOG_INTERVAL, MARKER_RUN_DURATION, e2eClusterKind, e2eKubeConfig, pinnedVersions } from '../src/index.js';
import { pollUntil } from '../src/util.js';

const WAIT = { timeoutMs: 180_000, intervalMs: 500 };
const kc = e2eKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const ns = `smoke-${Date.now().toString(36)}`;

function code(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

/**
 * A pod template whose behaviour is the same on the kwok cluster (through the markers) and on
 * a real one (through the command): prints `log`, then exits 0, or 3 when `fail`.
 */
function template(opts: { log: string; fail?: boolean; restartPolicy: 'Always' | 'Never' }): V1PodTemplateSpec {
  const annotations: Record<string, string> = { [MARKER_LOG]: opts.log };
  if (opts.fail) annotations[MARKER_FAIL] = 'true';
  const script = opts.restartPolicy === 'Always' ? 'echo "$LOG"; exec sleep 3600' : `echo "$LOG"; exit ${opts.fail ? 3 : 0}`;
  return {
    metadata: { labels: { app: 'smoke' }, annotations },
    spec: {
      restartPolicy: opts.restartPolicy,
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'main',
          image: 'busybox:1.36',
          command: ['sh', '-c', script],
          env: [{ name: 'LOG', value: opts.log }],
        },
      ],
    },
  };
}

function job(name: string, tpl: V1PodTemplateSpec): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: ns },
    spec: { backoffLimit: 0, ttlSecondsAfterFinished: 600, template: tpl },
  };
}

async function jobCondition(name: string, type: 'Complete' | 'Failed'): Promise<boolean> {
  const j = await batch.readNamespacedJob({ name, namespace: ns });
  return j.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
}

async function jobPods(name: string) {
  return (await core.listNamespacedPod({ namespace: ns, labelSelector: `batch.kubernetes.io/job-name=${name}` })).items;
}

describe('e2e control plane', () => {
  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: ns } } });
  });

  afterAll(async () => {
    // Normally removed by the last test already.
    await core.deleteNamespace({ name: ns }).catch(() => {});
  });

  it('/version reports the pinned release', async () => {
    const info = await kc.makeApiClient(VersionApi).getCode();
    if (e2eClusterKind() === 'kwok') {
      expect(info.gitVersion).toBe(pinnedVersions().kubernetes);
      const [major, minor] = pinnedVersions().kubernetes.replace(/^v/, '').split('.');
      expect(info.major).toBe(major);
      expect(info.minor).toBe(minor);
    } else {
      expect(info.gitVersion).toMatch(/^v1\.\d+\./);
    }
  });

  it('creates a namespace', async () => {
    const created = await core.readNamespace({ name: ns });
    expect(created.status?.phase).toBe('Active');
    // The controller-manager gives every namespace its default ServiceAccount and root CA.
    await pollUntil(() => core.readNamespacedServiceAccount({ name: 'default', namespace: ns }), {
      ...WAIT, what: 'the default ServiceAccount',
    });
    await pollUntil(() => core.readNamespacedConfigMap({ name: 'kube-root-ca.crt', namespace: ns }), {
      ...WAIT, what: 'the kube-root-ca.crt ConfigMap',
    });
  });

  it('has Ready nodes whose leases are renewed', async () => {
    const nodes = (await core.listNode()).items;
    expect(nodes.length).toBeGreaterThan(0);
    for (const node of nodes) {
      expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
    const name = nodes[0]?.metadata?.name as string;
    const leases = kc.makeApiClient(CoordinationV1Api);
    const first = await pollUntil(
      async () => (await leases.readNamespacedLease({ name, namespace: 'kube-node-lease' })).spec?.renewTime,
      { ...WAIT, what: `the lease of node ${name}` },
    );
    await pollUntil(
      async () => {
        const renewed = (await leases.readNamespacedLease({ name, namespace: 'kube-node-lease' })).spec?.renewTime;
        return renewed !== undefined && new Date(renewed).getTime() > new Date(first).getTime();
      },
      { ...WAIT, what: `node ${name}'s lease to be renewed` },
    );
  });

  it('serves ServiceAccount tokens that authenticate', async () => {
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'robot' } } });
    const tr = await core.createNamespacedServiceAccountToken({
      name: 'robot', namespace: ns, body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const token = tr.status?.token;
    expect(token).toBeTruthy();
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const robot = new KubeConfig();
    robot.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'robot', token }],
      contexts: [{ name: 'robot', cluster: cluster.name, user: 'robot' }],
      currentContext: 'robot',
    });
    const review = await robot.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe(`system:serviceaccount:${ns}:robot`);
    // RBAC is on: the robot has no grants.
    await expect(robot.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: ns })).rejects.toMatchObject({
      code: 403,
    });
  });

  it('runs a Deployment of 2 replicas to Available, and replaces a deleted pod', async () => {
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'smoke' } },
          template: template({ log: 'serving', restartPolicy: 'Always' }),
        },
      },
    });
    await pollUntil(
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
        return (
          d.status?.availableReplicas === 2 &&
          (d.status.conditions?.some((c) => c.type === 'Available' && c.status === 'True') ?? false)
        );
      },
      { ...WAIT, what: 'Deployment web to be Available with 2 replicas' },
    );
    const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=smoke' })).items;
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod.status?.phase).toBe('Running');
      expect(pod.spec?.nodeName).toBeTruthy(); // placed by the real scheduler
    }
    const victim = pods[0]?.metadata;
    await core.deleteNamespacedPod({ name: victim?.name as string, namespace: ns });
    await pollUntil(
      async () => {
        try {
          const p = await core.readNamespacedPod({ name: victim?.name as string, namespace: ns });
          return p.metadata?.uid !== victim?.uid;
        } catch (err) {
          if (code(err) === 404) return true;
          throw err;
        }
      },
      { ...WAIT, what: `deleted pod ${victim?.name} to go away` },
    );
    await pollUntil(
      async () => (await apps.readNamespacedDeployment({ name: 'web', namespace: ns })).status?.availableReplicas === 2,
      { ...WAIT, what: 'Deployment web to be back at 2 available replicas' },
    );
  });

  it('completes a Job whose pod log is readable through the API', async () => {
    const text = 'step 1/2: building\nstep 2/2: pushing image\ndone';
    await batch.createNamespacedJob({ namespace: ns, body: job('build-ok', template({ log: text, restartPolicy: 'Never' })) });
    await pollUntil(() => jobCondition('build-ok', 'Complete'), { ...WAIT, what: 'Job build-ok to be Complete' });
    const [pod] = await jobPods('build-ok');
    expect(pod?.status?.phase).toBe('Succeeded');
    const log = await pollUntil(
      async () => {
        const l = await core.readNamespacedPodLog({ name: pod?.metadata?.name as string, namespace: ns });
        return l.length > 0 ? l : undefined;
      },
      { ...WAIT, what: 'the log of the build-ok pod' },
    );
    expect(log).toBe(`${text}\n`);
  });

  it('streams a running pod\'s log (follow) until the pod ends', async () => {
    const tpl = template({ log: 'one\ntwo\nthree', restartPolicy: 'Never' });
    Object.assign(tpl.metadata?.annotations ?? {}, { [MARKER_LOG_INTERVAL]: '1s', [MARKER_RUN_DURATION]: '3s' });
    await batch.createNamespacedJob({ namespace: ns, body: job('build-stream', tpl) });
    const pod = await pollUntil(
      async () => (await jobPods('build-stream')).find((p) => p.status?.phase === 'Running'),
      { ...WAIT, what: 'the build-stream pod to run' },
    );
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    const ended = new Promise<void>((resolve) => out.on('end', () => resolve()));
    const request = await new Log(kc).log(ns, pod.metadata?.name as string, 'main', out, { follow: true });
    try {
      await ended; // bounded by the test timeout
    } finally {
      request.abort();
    }
    expect(text).toBe('one\ntwo\nthree\n');
    await pollUntil(() => jobCondition('build-stream', 'Complete'), { ...WAIT, what: 'Job build-stream to be Complete' });
  });

  it('fails a Job whose pod carries the failure marker', async () => {
    await batch.createNamespacedJob({
      namespace: ns,
      body: job('build-bad', template({ log: 'error: it broke', fail: true, restartPolicy: 'Never' })),
    });
    await pollUntil(() => jobCondition('build-bad', 'Failed'), { ...WAIT, what: 'Job build-bad to be Failed' });
    const [pod] = await jobPods('build-bad');
    expect(pod?.status?.phase).toBe('Failed');
    const terminated = pod?.status?.containerStatuses?.[0]?.state?.terminated;
    expect(terminated?.exitCode).not.toBe(0);
  });

  it('deletes the namespace and its contents', async () => {
    await core.deleteNamespace({ name: ns });
    await pollUntil(
      async () => {
        try {
          await core.readNamespace({ name: ns });
          return false;
        } catch (err) {
          if (code(err) === 404) return true;
          throw err;
        }
      },
      { ...WAIT, timeoutMs: 300_000, what: `namespace ${ns} to be gone` },
    );
  });
});
