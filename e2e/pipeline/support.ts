/**
 * Push to live on the real control plane: the api in-process (real PostgreSQL,
 * real state repo, the applier and the pipeline against the cluster), GitHub
 * faked, webhooks signed as GitHub signs them, and simulated pods told per
 * commit how to behave (support/pod-behaviour.ts).
 */
import { randomUUID } from 'node:crypto';
import { get, type RequestOptions } from 'node:https';
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import request from 'supertest';
import type { DeploymentDto, ServiceDto } from '@dangus/common';
import { ORIGIN, startTestPlatform, type TestPlatform } from '@dangus/api/test-support/platform';
import { deliveryHeaders, pushPayload } from '@dangus/api/test-support/webhook-payloads';
import { e2eKubeConfig, e2eKubeconfigPath } from '../cluster/src/index.js';
import { startPodBehaviourWebhook, type PodBehaviourWebhook } from '../support/pod-behaviour.js';

export interface PipelineWorld {
  platform: TestPlatform;
  kube: KubeConfig;
  core: CoreV1Api;
  batch: BatchV1Api;
  apps: AppsV1Api;
  pods: PodBehaviourWebhook;
  cookie: string;
  login: string;
  /** The user's GitHub id (to sign in again, e.g. through a GitHub App connected since). */
  githubId: number;
  close(): Promise<void>;
}

export interface WorldOptions {
  /** The cluster; the e2e run's by default. */
  kubeconfigPath?: string;
  /** Pipeline resync period; 2 s by default (tests), `undefined` for the product's default. */
  resyncMs?: number | undefined;
}

export async function startWorld(
  env: Record<string, string> = {},
  options: WorldOptions = { resyncMs: 2_000 },
): Promise<PipelineWorld> {
  const kubeconfigPath = options.kubeconfigPath ?? e2eKubeconfigPath();
  const kube = options.kubeconfigPath ? kubeConfigFrom(options.kubeconfigPath) : e2eKubeConfig();
  const pods = await startPodBehaviourWebhook(kube);
  const tuning = options.resyncMs === undefined ? {} : { tuning: { resyncMs: options.resyncMs } };
  let platform: TestPlatform;
  try {
    platform = await startTestPlatform({ BUILD_DEADLINE_SECONDS: '20', ...env }, { cluster: { kubeconfig: kubeconfigPath, ...tuning } });
  } catch (error) {
    await pods.stop();
    throw error;
  }
  const login = `octo${randomUUID().slice(0, 6)}`;
  const githubId = Math.floor(Math.random() * 1e9);
  const cookie = await platform.signIn(login, githubId);
  return {
    platform,
    kube,
    core: kube.makeApiClient(CoreV1Api),
    batch: kube.makeApiClient(BatchV1Api),
    apps: kube.makeApiClient(AppsV1Api),
    pods,
    cookie,
    login,
    githubId,
    async close() {
      try {
        await platform.close();
      } finally {
        await pods.stop();
      }
    },
  };
}

function kubeConfigFrom(path: string): KubeConfig {
  const kube = new KubeConfig();
  kube.loadFromFile(path);
  return kube;
}

export async function createProject(world: PipelineWorld, name: string): Promise<{ id: string; namespace: string }> {
  const res = await request(world.platform.app)
    .post('/api/projects')
    .set({ Origin: ORIGIN, Cookie: world.cookie })
    .send({ name })
    .expect(201);
  return res.body as { id: string; namespace: string };
}

export async function createService(
  world: PipelineWorld,
  projectId: string,
  name: string,
  branch = 'main',
): Promise<ServiceDto & { repo: string }> {
  const repo = `${world.login}/${name}`;
  const res = await request(world.platform.app)
    .post(`/api/projects/${projectId}/services`)
    .set({ Origin: ORIGIN, Cookie: world.cookie })
    .send({ name, repoUrl: `https://github.com/${repo}`, branch, dockerfilePath: 'Dockerfile', port: 8080 })
    .expect(201);
  return { ...(res.body as ServiceDto), repo };
}

/** A signed push delivery to the service's webhook; returns the HTTP answer. */
export async function push(
  world: PipelineWorld,
  service: ServiceDto & { repo: string },
  sha: string,
  options: { ref?: string; message?: string; deliveryId?: string; pushedAt?: number } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = JSON.stringify(
    pushPayload({
      repo: service.repo,
      ref: options.ref ?? `refs/heads/${service.branch}`,
      after: sha,
      message: options.message ?? `commit ${sha.slice(0, 7)}`,
      ...(options.pushedAt === undefined ? {} : { pushedAt: options.pushedAt }),
    }),
  );
  const res = await request(world.platform.app)
    .post(`/webhooks/github/${service.id}`)
    .set(deliveryHeaders(service.webhookSecret, body, 'push', options.deliveryId))
    .send(body);
  return { status: res.status, body: res.body as Record<string, unknown> };
}

export async function deployment(world: PipelineWorld, id: string): Promise<DeploymentDto> {
  const res = await request(world.platform.app).get(`/api/deployments/${id}`).set({ Cookie: world.cookie }).expect(200);
  return res.body as DeploymentDto;
}

/**
 * How many server-side applies of Secrets the kube-apiserver has answered since it started,
 * by its own request counter (`apiserver_request_total`, verb APPLY): every write of an env
 * Secret is one, even one that changes nothing (which leaves the resourceVersion as it was).
 */
export async function secretApplies(kube: KubeConfig): Promise<number> {
  const options: RequestOptions = {};
  await kube.applyToHTTPSOptions(options);
  const server = kube.getCurrentCluster()?.server ?? '';
  const text = await new Promise<string>((resolve, reject) => {
    get(`${server}/metrics`, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET /metrics: ${String(res.statusCode)}`))));
    }).on('error', reject);
  });
  return text
    .split('\n')
    .filter((line) => line.startsWith('apiserver_request_total{') && line.includes('resource="secrets"') && line.includes('verb="APPLY"'))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** Thrown by a probe of {@link eventually} to stop waiting at once (the outcome is known and wrong). */
export class Final extends Error {}

/**
 * Polls until `probe` returns a value that is not undefined (or throws with what it saw
 * last); a {@link Final} error ends the wait at once.
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof Final) throw error;
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits for the deployment row to reach `status` (failing fast if it ends otherwise). */
export async function waitForStatus(world: PipelineWorld, id: string, status: DeploymentDto['status'], timeoutMs = 90_000): Promise<DeploymentDto> {
  return eventually(`deployment ${id} to be ${status}`, async () => {
    const d = await deployment(world, id);
    if (d.status === status) return d;
    if ((d.status === 'live' || d.status === 'failed') && d.status !== status) {
      throw new Final(`deployment ${id} ended ${d.status}${d.reason ? ` (${d.reason})` : ''}, not ${status}`);
    }
    return undefined;
  }, timeoutMs);
}

export function sha(): string {
  return Array.from({ length: 40 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');
}

/** The object, or undefined when the cluster says 404. */
export async function maybe<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}

/** Reads an SSE response body into events until `until` says stop or the stream ends. */
export async function readSse(
  url: string,
  headers: Record<string, string>,
  until: (events: { event: string; id?: string; data: string }[]) => boolean,
): Promise<{ status: number; events: { event: string; id?: string; data: string }[] }> {
  const res = await fetch(url, { headers });
  const events: { event: string; id?: string; data: string }[] = [];
  if (!res.body || res.status !== 200) return { status: res.status, events };
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    while (!until(events)) {
      const chunk = (await reader.read()) as { done: boolean; value?: Uint8Array };
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const fields = block.split('\n').filter((line) => !line.startsWith(':'));
        const event = fields.find((f) => f.startsWith('event: '))?.slice(7);
        const id = fields.find((f) => f.startsWith('id: '))?.slice(4);
        const data = fields.filter((f) => f.startsWith('data: ')).map((f) => f.slice(6)).join('\n');
        if (event) events.push({ event, ...(id === undefined ? {} : { id }), data });
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return { status: res.status, events };
}
