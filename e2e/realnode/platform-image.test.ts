// The platform's own image (api/Dockerfile, target `runtime`), built on the real node by the
// build Job the renderer makes, from a base image made on this machine and npm packages from
// this machine's npm cache, with nothing from the internet; then run as the install runs it
// (uid 1000, read-only root filesystem) and asked over HTTP. See platform-image.ts.
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil } from '../cluster/src/util.js';
import { PULL_SECRET, REPO_ROOT, RUN_NAMESPACE, platformRepository, registryToken, startPlatformImageWorld, type PlatformImageWorld } from './platform-image.js';

const MINUTE = 60_000;
/** A cold build of the whole workspace on 2 shared cores: generous, never a fixed wait. */
const BUILD_BUDGET = 45 * MINUTE;

let world: PlatformImageWorld | undefined;
const w = (): PlatformImageWorld => {
  if (!world) throw new Error('the world did not start');
  return world;
};
const log = (line: string) => process.stderr.write(`[platform-image] ${line}\n`);
const builds: { name: string; seconds: number; digest: string }[] = [];

beforeAll(async () => {
  world = await startPlatformImageWorld(log);
}, 10 * MINUTE);

afterAll(async () => {
  await world?.close();
}, 2 * MINUTE);

/** Runs `job` to its end; its seconds and the digest Kaniko wrote to its termination message. */
async function build(job: V1Job): Promise<{ seconds: number; digest: string; log: string }> {
  const name = job.metadata?.name ?? '';
  const started = Date.now();
  await w().batch.createNamespacedJob({ namespace: w().namespace, body: job });
  const done = await pollUntil(async () => {
    const status = (await w().batch.readNamespacedJob({ name, namespace: w().namespace })).status;
    return (status?.succeeded ?? 0) > 0 || (status?.failed ?? 0) > 0 ? status : undefined;
  }, { what: `build Job ${name} to end`, timeoutMs: BUILD_BUDGET, intervalMs: 2_000 });
  const seconds = (Date.now() - started) / 1000;
  const pods = await w().core.listNamespacedPod({ namespace: w().namespace, labelSelector: `job-name=${name}` });
  const pod = pods.items[0];
  const kaniko = pod?.status?.containerStatuses?.find((c) => c.name === 'kaniko');
  if (!done.succeeded) {
    const logs = pod ? await w().core.readNamespacedPodLog({ name: pod.metadata?.name ?? '', namespace: w().namespace, container: 'kaniko', tailLines: 60 }).catch(String) : '';
    throw new Error(`build ${name} failed after ${seconds.toFixed(0)} s: ${JSON.stringify(kaniko?.state)}\n${logs}`);
  }
  const digest = kaniko?.state?.terminated?.message?.trim() ?? '';
  const kanikoLog = await w().core.readNamespacedPodLog({ name: pod?.metadata?.name ?? '', namespace: w().namespace, container: 'kaniko' });
  builds.push({ name, seconds, digest });
  log(`build ${name}: ${seconds.toFixed(1)} s, ${digest}`);
  return { seconds, digest, log: kanikoLog };
}

async function manifestOf(reference: string): Promise<{ status: number; digest: string | null; config?: { config?: { User?: string; Cmd?: string[] } } }> {
  const repository = platformRepository(w().node).slice(w().node.registryHost.length + 1);
  const token = await registryToken(w().node, w().robot, `repository:${repository}:pull`);
  const base = `http://${w().node.registryHost}/v2/${repository}`;
  const headers = { Authorization: `Bearer ${token}` };
  const res = await fetch(`${base}/manifests/${reference}`, {
    headers: { ...headers, Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
  });
  if (res.status !== 200) return { status: res.status, digest: null };
  const manifest = (await res.json()) as { config: { digest: string } };
  const config = await (await fetch(`${base}/blobs/${manifest.config.digest}`, { headers })).json() as { config?: { User?: string; Cmd?: string[] } };
  return { status: res.status, digest: res.headers.get('docker-content-digest'), config };
}

/** A pod of the built image in the test's namespace, as bootstrap/base/api.yaml runs the api. */
function platformPod(name: string, image: string, command?: string[]): V1Pod {
  return {
    metadata: { name, namespace: RUN_NAMESPACE },
    spec: {
      restartPolicy: command ? 'Never' : 'Always',
      automountServiceAccountToken: false,
      imagePullSecrets: [{ name: PULL_SECRET }],
      securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{
        name: 'api',
        image,
        ...(command ? { command } : {}),
        // HOST is 0.0.0.0 (the image's): the address users open must be given.
        env: [
          { name: 'DANGUS_DATA_DIR', value: '/var/lib/dangus' },
          { name: 'HOME', value: '/var/lib/dangus' },
          { name: 'PUBLIC_URL', value: 'http://dangus.test' },
        ],
        ports: [{ name: 'http', containerPort: 3000 }],
        ...(command ? {} : { readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 2, failureThreshold: 300 } }),
        resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        volumeMounts: [{ name: 'data', mountPath: '/var/lib/dangus' }, { name: 'tmp', mountPath: '/tmp' }],
      }],
      volumes: [{ name: 'data', emptyDir: {} }, { name: 'tmp', emptyDir: {} }],
    },
  };
}

/** Runs a one-shot pod to its end; its phase and log. */
async function runToEnd(pod: V1Pod): Promise<{ phase: string; log: string }> {
  const name = pod.metadata?.name ?? '';
  await w().core.createNamespacedPod({ namespace: RUN_NAMESPACE, body: pod });
  const phase = await pollUntil(async () => {
    const p = (await w().core.readNamespacedPod({ name, namespace: RUN_NAMESPACE })).status?.phase;
    return p === 'Succeeded' || p === 'Failed' ? p : undefined;
  }, { what: `pod ${name} to end`, timeoutMs: 5 * MINUTE, intervalMs: 1_000 });
  return { phase, log: await w().core.readNamespacedPodLog({ name, namespace: RUN_NAMESPACE }) };
}

describe('the platform image, built on the real node by the platform build path', () => {
  let image = '';

  test('Kaniko builds api/Dockerfile (runtime) at HEAD from the local base image and npm mirror, and pushes it', async () => {
    const { digest } = await build(w().buildJob());
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // The image is in the node's registry under that digest, as the platform's robot reads it.
    const stored = await manifestOf(digest);
    expect(stored.status).toBe(200);
    expect(stored.digest).toBe(digest);
    expect(stored.config?.config?.User).toBe('1000:1000');
    expect(stored.config?.config?.Cmd).toEqual(['node', 'api/dist/main.js']);
    // Tagged with the commit, as a tenant's build is.
    expect((await manifestOf(w().commit)).digest).toBe(digest);
    image = `${platformRepository(w().node)}@${digest}`;
    // npm ci took every package of the lock file from the mirror: nothing it asked for was
    // missing (but npm's own update check, `/npm`, which the repository's .npmrc turns off
    // and the image does not copy).
    const served = w().npmMirror.requests.filter((r) => r.status === 200 && r.path.endsWith('.tgz'));
    expect(served.length).toBeGreaterThan(700);
    expect(w().npmMirror.requests.filter((r) => r.status !== 200 && r.path !== '/npm')).toEqual([]);
  }, BUILD_BUDGET + 5 * MINUTE);

  test('the image runs as uid 1000 on a read-only root and answers: health, readiness (its PostgreSQL), the UI', async () => {
    expect(image).not.toBe('');
    await w().core.createNamespacedPod({ namespace: RUN_NAMESPACE, body: platformPod('api', image) });
    let failure: string | undefined;
    const ip = await pollUntil<string | undefined>(async () => {
      const pod = await w().core.readNamespacedPod({ name: 'api', namespace: RUN_NAMESPACE });
      const container = pod.status?.containerStatuses?.[0];
      const waiting = container?.state?.waiting;
      if (waiting?.reason && /Err|BackOff|Invalid/.test(waiting.reason)) failure = `${waiting.reason}: ${waiting.message ?? ''}`;
      if ((container?.restartCount ?? 0) > 0) failure = `restarted: ${JSON.stringify(container?.lastState?.terminated)}`;
      return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? pod.status.podIP : undefined;
    }, { what: 'the api pod to be Ready', timeoutMs: 5 * MINUTE, intervalMs: 1_000, abort: () => failure }).catch(async (error: unknown) => {
      const logs = await w().core.readNamespacedPodLog({ name: 'api', namespace: RUN_NAMESPACE, previous: failure?.startsWith('restarted') ?? false, tailLines: 30 }).catch(String);
      throw new Error(`${(error as Error).message}\n${logs}`, { cause: error });
    });
    const origin = `http://${ip}:3000`;
    expect((await fetch(`${origin}/healthz`)).status).toBe(200);
    // Ready: migrated and answering through its (embedded) PostgreSQL.
    expect((await fetch(`${origin}/readyz`)).status).toBe(200);
    const config = await fetch(`${origin}/auth/config`);
    expect(config.status).toBe(200);
    // The UI bundle: the page of ui/index.html, and the script it loads.
    const page = await (await fetch(`${origin}/`)).text();
    const title = /<title>[^<]*<\/title>/.exec(readFileSync(join(REPO_ROOT, 'ui', 'index.html'), 'utf8'))?.[0];
    expect(title).toBeDefined();
    expect(page).toContain(title);
    const script = /<script[^>]+src="([^"]+\.js)"/.exec(page)?.[1];
    expect(script).toBeDefined();
    const js = await fetch(`${origin}${script ?? ''}`);
    expect(js.status).toBe(200);
    expect((await js.text()).length).toBeGreaterThan(10_000);
    // It runs as the node user, uid 1000.
    const status = (await w().core.readNamespacedPod({ name: 'api', namespace: RUN_NAMESPACE })).status;
    expect(status?.containerStatuses?.[0]?.restartCount).toBe(0);
  }, 10 * MINUTE);

  test('git and git http-backend work in the image; the node pulls docker.io/library/node from the mirror', async () => {
    expect(image).not.toBe('');
    const git = await runToEnd(platformPod('git-version', image, ['sh', '-c', 'id -u; git --version; test -x "$(git --exec-path)/git-http-backend" && echo http-backend']));
    expect(git).toEqual({ phase: 'Succeeded', log: expect.stringMatching(/^1000\ngit version 2\.\d+\.\d+\nhttp-backend\n$/) });
    const base = await runToEnd({
      metadata: { name: 'node-base' },
      spec: {
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        containers: [{ name: 'node', image: 'node:24.22.3-bookworm-slim', command: ['node', '-e', 'console.log(process.version)'] }],
      },
    });
    expect(base).toEqual({ phase: 'Succeeded', log: 'v24.22.3\n' });
  }, 10 * MINUTE);
});
