/**
 * Issue 6's benchmark: the platform's own overhead on push-to-live, on top of the
 * build itself. On its own control plane (e2e/cluster) and its own PostgreSQL, the
 * real api runs in-process as in e2e/pipeline (the applier and the pipeline against
 * the cluster, GitHub faked); simulated build pods run `--build` and succeed.
 * Sequential pushes, each to its own service (none supersedes another), one warm-up
 * not counted. Times are taken where the events happen, not by polling: the HTTP
 * answer, a Watch on Jobs and Deployments (when this process sees the event;
 * creationTimestamp has 1 s resolution), and the api's event bus, which publishes a
 * deployment row right after it changed.
 *
 * Run from the repository root after `npm run build` (the api reaches the applier
 * through @dangus/gitops-writer's dist; `npm run bench` builds first):
 * `node --import tsx e2e/bench/pipeline.ts [--pushes 20] [--build 1s] [--resync-ms N] [--applier in-process|installed]`.
 *
 * `--applier installed` runs the install's topology: the api with APPLIER=external (no
 * applier of its own, its pipeline on) and a separate applier that pulls /state.git over
 * smart HTTP with the token and syncs when the api POSTs its /notify (APPLIER_NOTIFY_URL
 * with APPLIER_TOKEN), as the applier Deployment does; it never resyncs on its own here.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Applier, HttpRepoSource, applierHttpHandler } from '@dangus/applier';
import { listen } from '@dangus/api/server';
import { KubeConfig, Watch, type KubernetesObject, type V1Deployment, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { setupPostgres } from '@dangus/api/test-support/postgres-setup';
import { teardownPostgres } from '@dangus/api/test-support/postgres-teardown';
import { startCluster } from '../cluster/src/index.js';
import { createProject, createService, push, sha, startWorld } from '../pipeline/support.js';
import { DEPLOYMENT_LABEL } from '../support/pod-behaviour.js';
import { percentile } from './percentile.js';

const { values: args } = parseArgs({
  options: {
    pushes: { type: 'string', default: '20' },
    build: { type: 'string', default: '1s' },
    // Unset: the pipeline's production resync (30 s), so a stage cannot hide behind it.
    'resync-ms': { type: 'string' },
    applier: { type: 'string', default: 'in-process' },
  },
});
if (!['in-process', 'installed'].includes(args.applier)) throw new Error('--applier is in-process or installed');
const INSTALLED = args.applier === 'installed';
const PUSHES = Number(args.pushes);
const RESYNC_MS = args['resync-ms'] === undefined ? undefined : Number(args['resync-ms']);
/** The namespace quota allows 20 pods: a few services per project keeps well under it. */
const SERVICES_PER_PROJECT = 5;
const BUILD_LOG = 'INFO Retrieving image manifest node:24\nINFO Pushed image\n';

/** First time each named moment was seen, in `performance.now()` ms. */
class Marks {
  private readonly seen = new Map<string, number>();
  readonly failures = new Map<string, string>();

  mark(key: string, at = performance.now()): void {
    if (!this.seen.has(key)) this.seen.set(key, at);
  }

  get(key: string): number {
    const at = this.seen.get(key);
    if (at === undefined) throw new Error(`never saw ${key}`);
    return at;
  }

  /** Waits (checking a local map, so no timestamp depends on it) until every key was seen. */
  async until(keys: string[], failureOf: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!keys.every((key) => this.seen.has(key))) {
      const failure = this.failures.get(failureOf);
      if (failure !== undefined) throw new Error(`deployment ${failureOf} failed: ${failure}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${keys.filter((key) => !this.seen.has(key)).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

/** A label-selected, cluster-wide watch, restarted when the apiserver ends it, until `stop`. */
function watchAll(kube: KubeConfig, path: string, onObject: (object: KubernetesObject) => void): { stop(): void } {
  let stopped = false;
  let controller: AbortController | undefined;
  const start = (): void => {
    new Watch(kube)
      .watch(path, { labelSelector: DEPLOYMENT_LABEL }, (_phase, object: KubernetesObject) => onObject(object), (error: unknown) => {
        if (stopped) return;
        if (error) process.stderr.write(`watch ${path} ended (${errorText(error)}): restarting it\n`);
        setTimeout(start, 100);
      })
      .then((abort) => {
        controller = abort;
        if (stopped) abort.abort();
      })
      .catch((error: unknown) => {
        if (!stopped) setTimeout(start, 500);
        process.stderr.write(`watch ${path} failed: ${errorText(error)}\n`);
      });
  };
  start();
  return {
    stop() {
      stopped = true;
      controller?.abort();
    },
  };
}

/** The pipeline's own rule for a finished rollout (cluster-state.ts `rolloutOutcome`): no old pods left either. */
function rolledOut(deployment: V1Deployment): boolean {
  const desired = deployment.spec?.replicas ?? 1;
  const status = deployment.status;
  return (
    (status?.observedGeneration ?? -1) >= (deployment.metadata?.generation ?? 0) &&
    status?.updatedReplicas === desired &&
    status.availableReplicas === desired &&
    status.replicas === desired
  );
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : JSON.stringify(error);
}

const cleanups: (() => unknown)[] = [];

/** Runs every clean-up, newest first, each even when an earlier one failed. */
async function cleanUp(): Promise<void> {
  for (const step of cleanups.splice(0).reverse()) {
    try {
      await step();
    } catch (error) {
      process.stderr.write(`clean-up failed: ${errorText(error)}\n`);
    }
  }
}

async function main(): Promise<void> {
  const cluster = await startCluster({ log: (line) => process.stderr.write(`${line}\n`) });
  cleanups.push(() => cluster.stop());
  await setupPostgres();
  cleanups.push(() => teardownPostgres());

  // The production resync (30 s) unless --resync-ms says otherwise: the tests' 2 s would cap every stage.
  // Installed: the api notifies a separate applier over HTTP, which pulls /state.git.
  let handler = (_req: IncomingMessage, res: ServerResponse): void => void res.writeHead(503).end();
  const notifyServer = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => notifyServer.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => notifyServer.close(resolve)));
  const installedEnv = {
    APPLIER: 'external',
    STATE_REPO_TOKEN: 'state-repo-token-of-the-bench',
    APPLIER_NOTIFY_URL: `http://127.0.0.1:${String((notifyServer.address() as AddressInfo).port)}/notify`,
    APPLIER_TOKEN: 'applier-token-of-the-bench',
  };
  const world = await startWorld(
    { BUILD_DEADLINE_SECONDS: '120', ...(INSTALLED ? installedEnv : {}) },
    { kubeconfigPath: cluster.kubeconfigPath, resyncMs: RESYNC_MS },
  );
  cleanups.push(() => world.close());
  const { platform, kube, login, pods } = world;
  const { writer } = platform;
  let applier = platform.applier;
  if (INSTALLED) {
    const server = await listen(platform.app, '127.0.0.1', 0);
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const cacheDir = await mkdtemp(join(tmpdir(), 'dangus-bench-applier-'));
    cleanups.push(() => rm(cacheDir, { recursive: true, force: true }));
    const separate = new Applier({
      kube,
      source: new HttpRepoSource({
        url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/state.git`,
        token: installedEnv.STATE_REPO_TOKEN,
        cacheDir: join(cacheDir, 'state.git'),
      }),
      resyncIntervalMs: 600_000,
    });
    handler = applierHttpHandler(separate, { token: installedEnv.APPLIER_TOKEN });
    separate.start();
    cleanups.push(() => separate.stop());
    applier = separate;
  }
  if (!applier) throw new Error('the test platform started without its applier');
  const [user] = await platform.db.query<{ id: string }[]>(`SELECT id FROM users WHERE github_username = $1`, [login]);
  if (!user) throw new Error('the bench user was not recorded');

  // Where each moment is seen.
  const marks = new Marks();
  const images = new Map<string, string>();
  const unsubscribe = platform.events.onDeployment(user.id, ({ deployment }) => {
    marks.mark(`${deployment.status}:${deployment.id}`);
    if (deployment.status === 'deploying' && deployment.imageTag !== null) images.set(deployment.id, deployment.imageTag);
    if (deployment.status === 'failed') marks.failures.set(deployment.id, deployment.reason ?? 'no reason');
  });
  cleanups.push(unsubscribe);
  const jobs = watchAll(kube, '/apis/batch/v1/jobs', (object) => {
    const job = object as V1Job;
    const id = job.metadata?.labels?.[DEPLOYMENT_LABEL];
    if (id === undefined) return;
    marks.mark(`job-seen:${id}`);
  });
  cleanups.push(() => jobs.stop());
  // The build is done when Kaniko's container exits 0 (what the pipeline acts on); the
  // Job's `Complete` may never be seen: the applier can prune the Job before the Job
  // controller writes it.
  const buildPods = watchAll(kube, '/api/v1/pods', (object) => {
    const pod = object as V1Pod;
    const id = pod.metadata?.labels?.[DEPLOYMENT_LABEL];
    if (id === undefined || pod.metadata?.labels?.['dangus.cloud/role'] === 'app') return;
    if (pod.status?.containerStatuses?.some((c) => c.name === 'kaniko' && c.state?.terminated?.exitCode === 0)) marks.mark(`job-complete:${id}`);
  });
  cleanups.push(() => buildPods.stop());
  const deployments = watchAll(kube, '/apis/apps/v1/deployments', (object) => {
    const deployment = object as V1Deployment;
    const image = deployment.spec?.template.spec?.containers[0]?.image;
    if (image === undefined) return;
    marks.mark(`image:${image}`);
    if (rolledOut(deployment)) marks.mark(`rolled-out:${image}`);
  });
  cleanups.push(() => deployments.stop());
  // The applier's sync durations, sampled from its status (status() clones every object's health: not too often).
  const syncs: number[] = [];
  let lastSyncAt: string | null = null;
  const sampler = setInterval(() => {
    const status = applier.status();
    if (status.lastSync && status.appliedAt !== lastSyncAt) {
      lastSyncAt = status.appliedAt;
      syncs.push(status.lastSync.durationMs);
    }
  }, 50);
  cleanups.push(() => clearInterval(sampler));

  // One service per push (and the warm-up's), then wait for the applier to catch up.
  const services = [];
  let projectId = '';
  for (let i = 0; i <= PUSHES; i += 1) {
    if (i % SERVICES_PER_PROJECT === 0) projectId = (await createProject(world, `bench-${String(i / SERVICES_PER_PROJECT)}`)).id;
    services.push(await createService(world, projectId, `svc-${String(i).padStart(2, '0')}`));
  }
  for (const deadline = Date.now() + 60_000; applier.status().appliedCommit !== (await writer.repo.head()); ) {
    if (Date.now() > deadline) throw new Error(`the applier did not apply the services: ${String(applier.status().lastError)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  syncs.length = 0;

  const timelines: Record<string, number>[] = [];
  for (const [i, service] of services.entries()) {
    const commit = sha();
    pods.set(commit, { runDuration: args.build, log: BUILD_LOG });
    const answer = await push(world, service, commit);
    const answered = performance.now();
    if (answer.status !== 202) throw new Error(`the webhook answered ${String(answer.status)}: ${JSON.stringify(answer.body)}`);
    const id = String(answer.body.deploymentId);
    await marks.until([`live:${id}`, `job-seen:${id}`, `job-complete:${id}`], id, 120_000);
    const image = images.get(id);
    if (image === undefined) throw new Error(`deployment ${id} went live without an image`);
    // Our watch may hear of the rollout a moment after the pipeline's informer did.
    await marks.until([`image:${image}`, `rolled-out:${image}`], id, 10_000);
    pods.clear(commit);
    process.stderr.write(`push ${String(i)}/${String(PUSHES)}: live after ${(marks.get(`live:${id}`) - answered).toFixed(0)} ms\n`);
    if (i === 0) continue; // warm-up
    timelines.push({
      answered,
      jobSeen: marks.get(`job-seen:${id}`),
      jobComplete: marks.get(`job-complete:${id}`),
      deploying: marks.get(`deploying:${id}`),
      image: marks.get(`image:${image}`),
      rolledOut: marks.get(`rolled-out:${image}`),
      live: marks.get(`live:${id}`),
    });
  }
  await platform.pipeline?.pipeline.idle();

  const stage = (from: string, to: string) => timelines.map((t) => (t[to] ?? Number.NaN) - (t[from] ?? Number.NaN));
  const row = (name: string, values: number[], target?: { p: 50 | 99; ms: number }) => {
    const sorted = [...values].sort((a, b) => a - b);
    const [p50, p99, max] = [percentile(sorted, 50), percentile(sorted, 99), sorted.at(-1) ?? Number.NaN];
    const met = target ? ((target.p === 50 ? p50 : p99) <= target.ms ? 'yes' : '**no**') : '';
    const wanted = target ? `p${String(target.p)} ≤ ${String(target.ms)} ms` : '';
    return `| ${name} | ${String(sorted.length)} | ${p50.toFixed(0)} | ${p99.toFixed(0)} | ${max.toFixed(0)} | ${wanted} | ${met} |`;
  };
  const header = ['| stage | n | p50 ms | p99 ms | max ms | target | met |', '| --- | ---: | ---: | ---: | ---: | --- | --- |'];
  process.stdout.write(
    [
      '',
      `### Push to live on the real control plane: the platform's own overhead, ${String(PUSHES)} sequential pushes (+1 warm-up), ` +
        (INSTALLED ? 'installed topology (api with APPLIER=external, separate applier notified over HTTP)' : 'applier in the api process'),
      '',
      ...header,
      row('webhook answered (202) → build Job in the cluster', stage('answered', 'jobSeen'), { p: 50, ms: 1000 }),
      row('build container exited 0 → Deployment carries the new image', stage('jobComplete', 'image'), { p: 99, ms: 1000 }),
      row('rollout available → row `live`', stage('rolledOut', 'live'), { p: 99, ms: 1000 }),
      '',
      'Where the time goes (no targets):',
      '',
      ...header,
      row('build Job in the cluster → build container exited 0 (cluster: schedule, run)', stage('jobSeen', 'jobComplete')),
      row('build container exited → row `deploying` (pipeline: informer, log, Secrets, row)', stage('jobComplete', 'deploying')),
      row('row `deploying` → Deployment image (render, commit, applier)', stage('deploying', 'image')),
      row('Deployment image → rollout available (cluster: ReplicaSet, pod, kwok)', stage('image', 'rolledOut')),
      row('webhook answered → row `live`, in all', stage('answered', 'live')),
      row('applier sync, every sync sampled during the pushes', syncs),
      '',
      `Note: these figures exclude the build itself (the simulated build pod runs ${args.build}); ` +
        `with ${String(PUSHES)} samples p99 is the maximum. Pipeline resync: ${RESYNC_MS === undefined ? 'production default (30 s)' : `${String(RESYNC_MS)} ms`}.`,
      '',
    ].join('\n'),
  );
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`${signal}: cleaning up\n`);
    void cleanUp().finally(() => process.exit(130));
  });
}
try {
  await main();
} finally {
  await cleanUp();
}
