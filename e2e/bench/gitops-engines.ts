/**
 * API change → object changed in the cluster, one run, side by side, for the three ways
 * the platform's commits reach the cluster: the built-in applier as installed (its own
 * applier, notified over HTTP after each commit), Flux poked (the api annotates the
 * GitRepository, FLUX_GITREPOSITORY), and Flux on the bootstrap example's interval (1 m,
 * no poke). On its own control plane, Flux's controllers built from their modules
 * (e2e/support/flux.ts). The change is a service's port (PATCH /api/services/:id); the
 * figure ends when the Service in the cluster carries the new port (read every 10 ms).
 *
 * `node --import tsx e2e/bench/gitops-engines.ts [--changes 10] [--interval-changes 4]`
 * (after `npm run build`).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import request from 'supertest';
import { Applier, HttpRepoSource, applierHttpHandler } from '@dangus/applier';
import { listen } from '@dangus/api/server';
import { ORIGIN } from '@dangus/api/test-support/platform';
import { setupPostgres } from '@dangus/api/test-support/postgres-setup';
import { teardownPostgres } from '@dangus/api/test-support/postgres-teardown';
import { startCluster } from '../cluster/src/index.js';
import { pollUntil } from '../cluster/src/util.js';
import { createProject, createService, startWorld, type PipelineWorld } from '../pipeline/support.js';
import { withCleanUp } from './clean-up.js';
import { FLUX_GITREPOSITORIES as GITREPOSITORIES, FLUX_KUSTOMIZATIONS as KUSTOMIZATIONS, applyFluxExample, fluxReady, startFlux } from '../support/flux.js';

const { values: args } = parseArgs({ options: { changes: { type: 'string', default: '10' }, 'interval-changes': { type: 'string', default: '4' } } });
const CHANGES = Number(args.changes);
const INTERVAL_CHANGES = Number(args['interval-changes']);
const TOKEN = `state-repo-token-${randomBytes(8).toString('hex')}`;
const APPLIER_TOKEN = `applier-token-${randomBytes(8).toString('hex')}`;
const FLUX_NS = 'flux-system';

const log = (line: string) => process.stderr.write(`${line}\n`);
const cleanUp = withCleanUp(log);
const cleanups = cleanUp.cleanups;

interface Subject {
  world: PipelineWorld;
  origin: string;
  namespace: string;
  serviceId: string;
}

/** A platform as installed (APPLIER=external), serving /state.git on loopback, with one service. */
async function platform(env: Record<string, string>, kubeconfigPath: string): Promise<Subject> {
  const world = await startWorld({ APPLIER: 'external', STATE_REPO_TOKEN: TOKEN, ...env }, { kubeconfigPath, resyncMs: undefined });
  cleanups.push(() => world.close());
  const server = await listen(world.platform.app, '127.0.0.1', 0);
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const project = await createProject(world, 'engines');
  const service = await createService(world, project.id, 'web');
  return { world, origin: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`, namespace: project.namespace, serviceId: service.id };
}

let nextPort = 10_000;

/** A Flux duration such as `1m` or `30s`, in ms. */
function durationMs(text: string): number {
  const match = /^(\d+)(s|m)$/.exec(text);
  if (!match) throw new Error(`not a duration this bench reads: ${text}`);
  return Number(match[1]) * (match[2] === 'm' ? 60_000 : 1_000);
}

/**
 * `count` port changes, one after another; each timed from the request to the Service
 * carrying the port. With `spreadMs` (an interval), change i waits (i + ½)·spreadMs/count
 * after the previous one was applied, which happened just after a fetch: the changes
 * meet the interval at evenly spread phases, as changes made at random times would.
 */
async function measure(subject: Subject, count: number, timeoutMs: number, spreadMs = 0): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i += 1) {
    if (spreadMs > 0) await new Promise((resolve) => setTimeout(resolve, ((i + 0.5) * spreadMs) / count));
    const port = (nextPort += 1);
    const start = performance.now();
    await request(subject.world.platform.app)
      .patch(`/api/services/${subject.serviceId}`)
      .set({ Origin: ORIGIN, Cookie: subject.world.cookie })
      .send({ port })
      .expect(200);
    await pollUntil(
      async () => (await subject.world.core.readNamespacedService({ namespace: subject.namespace, name: 'web' })).spec?.ports?.[0]?.port === port,
      { what: `port ${String(port)} in the cluster`, timeoutMs, intervalMs: 10 },
    );
    times.push(performance.now() - start);
    log(`  change ${String(i + 1)}/${String(count)}: ${(times.at(-1) ?? 0).toFixed(0)} ms`);
  }
  return times;
}

async function main(): Promise<void> {
  const cluster = await startCluster({ log });
  cleanups.push(() => cluster.stop());
  await setupPostgres();
  cleanups.push(() => teardownPostgres());
  const kube = new KubeConfig();
  kube.loadFromFile(cluster.kubeconfigPath);
  const custom = kube.makeApiClient(CustomObjectsApi);
  // As the handover documents: kustomize-controller takes over the built-in applier's fields.
  const flux = await startFlux({ kube, kubeconfigPath: cluster.kubeconfigPath, overrideManagers: ['dangus-applier'], log });
  cleanups.push(() => flux.stop());

  let handler = (_req: IncomingMessage, res: ServerResponse): void => void res.writeHead(503).end();
  const notifyServer = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => notifyServer.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => notifyServer.close(resolve)));
  const notifyUrl = `http://127.0.0.1:${String((notifyServer.address() as AddressInfo).port)}/notify`;

  // 1. The built-in applier as installed, then 2. Flux poked: one platform, handed over between them.
  const poked = await platform({ APPLIER_NOTIFY_URL: notifyUrl, APPLIER_TOKEN, FLUX_GITREPOSITORY: `${FLUX_NS}/dangus-state` }, cluster.kubeconfigPath);
  const cacheDir = await mkdtemp(join(tmpdir(), 'dangus-bench-engines-'));
  cleanups.push(() => rm(cacheDir, { recursive: true, force: true }));
  const applier = new Applier({
    kube,
    source: new HttpRepoSource({ url: `${poked.origin}/state.git`, token: TOKEN, cacheDir: join(cacheDir, 'state.git') }),
    resyncIntervalMs: 600_000,
  });
  handler = applierHttpHandler(applier, { token: APPLIER_TOKEN });
  applier.start();
  cleanups.push(() => applier.stop());
  const head = async (subject: Subject) => (await subject.world.platform.writer.repo.head()) ?? '';
  await pollUntil(async () => applier.status().appliedCommit === (await head(poked)), { what: 'the applier to sync', timeoutMs: 60_000, intervalMs: 50 });
  log('built-in applier (installed topology, notified):');
  const builtin = await measure(poked, CHANGES, 30_000);
  await applier.stop();
  handler = (_req, res) => void res.writeHead(503).end();

  const gitRepository = { spec: await applyFluxExample(kube, { url: `${poked.origin}/state.git`, token: TOKEN }) };
  const readyAt = (subject: Subject) =>
    pollUntil(
      async () => {
        const at = await head(subject);
        const ready = await fluxReady(kube, { ...KUSTOMIZATIONS, name: subject.namespace });
        return ready?.status === 'True' && ready.revision?.endsWith(at) === true;
      },
      { what: `Flux to apply ${subject.namespace}`, timeoutMs: 120_000, intervalMs: 100 },
    );
  await readyAt(poked);
  log(`Flux poked (GitRepository interval ${gitRepository.spec.interval}):`);
  const fluxPoked = await measure(poked, CHANGES, 30_000);

  // 3. Flux on its interval: a platform that does not poke, the same GitRepository pointed at it.
  const unpoked = await platform({}, cluster.kubeconfigPath);
  await custom.patchNamespacedCustomObject(
    { ...GITREPOSITORIES, name: 'dangus-state', body: [{ op: 'replace', path: '/spec/url', value: `${unpoked.origin}/state.git` }] },
  );
  await readyAt(unpoked);
  log(`Flux on its interval (${gitRepository.spec.interval}, no poke):`);
  // Wait for one change to land first: from then on the fetches' phase is known.
  await measure(unpoked, 1, 180_000);
  const fluxInterval = await measure(unpoked, INTERVAL_CHANGES, 180_000, durationMs(gitRepository.spec.interval));

  const row = (name: string, values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
    const s = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);
    return `| ${name} | ${String(sorted.length)} | ${s(at(0.5))} | ${s(sorted[0] ?? Number.NaN)} | ${s(sorted.at(-1) ?? Number.NaN)} |`;
  };
  process.stdout.write(
    [
      '',
      '### API change (a service\'s port) → the Service in the cluster carries it',
      '',
      '| engine | n | p50 s | min s | max s |',
      '| --- | ---: | ---: | ---: | ---: |',
      row('built-in applier, installed topology (notified over HTTP)', builtin),
      row('Flux, poked after each commit (FLUX_GITREPOSITORY)', fluxPoked),
      row(`Flux on its interval (bootstrap example: ${gitRepository.spec.interval}), no poke, changes at evenly spread phases`, fluxInterval),
      '',
      'Flux: source-controller and kustomize-controller v1.9.6 built from their modules, one Kustomization per tenant.',
      '',
    ].join('\n'),
  );
}

await cleanUp.run(main);
