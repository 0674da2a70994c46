/**
 * Applier benchmark (issue 5 "Benchmark"), on the real control plane of e2e/cluster
 * (or the cluster of DANGUS_TEST_KUBECONFIG):
 *
 * - commit → object applied, event-driven: a commit, `notify()`, and the time until
 *   the apiserver serves the new object; p50/p99 over `--commits` commits;
 * - a no-op resync of 1,000 objects (100 tenants × 10): write calls and time, and
 *   the same 1,000 objects applied naively (every object, same concurrency) in the
 *   same run;
 * - the first sync of those 1,000 objects against `kubectl apply --server-side` of the
 *   same objects (other namespaces) in the same cluster, one run each (when kubectl is
 *   on PATH);
 * - a commit touching one tenant → applied (notify, as the api does), at `--small` (10)
 *   and at `--large` (1,000) tenants of three services each: p50 of each and the ratio.
 *
 * Run from the repository root: `node --import tsx applier/bench/applier.ts [--commits 40]`.
 */
import { spawnSync } from 'node:child_process';
import { dump } from 'js-yaml';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiException, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { StateRepo } from '@dangus/gitops-writer';
import { startCluster, type Cluster } from '@dangus/e2e/cluster';
import { Applier } from '../src/applier.js';
import { KubeClusterClient, type ClusterClient, type LiveObject } from '../src/cluster-client.js';
import type { ManagedFieldsEntry } from '../src/drift.js';
import { parseManifests } from '../src/manifests.js';
import type { ManifestObject, ObjectRef } from '../src/object-ref.js';

const { values: args } = parseArgs({
  options: {
    commits: { type: 'string', default: '40' },
    tenants: { type: 'string', default: '100' },
    small: { type: 'string', default: '10' },
    large: { type: 'string', default: '1000' },
  },
});
const COMMITS = Number(args.commits);
const TENANTS = Number(args.tenants);
const ACTOR = { name: 'Bench', email: 'bench@example.com', login: 'bench' };
const LABELS = { 'app.kubernetes.io/managed-by': 'dangus' };

class CountingClient implements ClusterClient {
  writes = 0;
  constructor(private readonly inner: ClusterClient) {}
  apply(object: ManifestObject): Promise<LiveObject> {
    this.writes += 1;
    return this.inner.apply(object);
  }
  delete(ref: ObjectRef): Promise<boolean> {
    this.writes += 1;
    return this.inner.delete(ref);
  }
  setManagedFields(ref: ObjectRef, managedFields: ManagedFieldsEntry[]): Promise<void> {
    this.writes += 1;
    return this.inner.setManagedFields(ref, managedFields);
  }
  get(ref: ObjectRef): Promise<LiveObject | null> {
    return this.inner.get(ref);
  }
  list(apiVersion: string, kind: string, labelSelector: string, namespace?: string): Promise<LiveObject[]> {
    return this.inner.list(apiVersion, kind, labelSelector, namespace);
  }
}

/**
 * A tenant: Namespace, ResourceQuota, and per service a Deployment (0 replicas: no pods),
 * Service, Ingress and (`configMaps`) ConfigMap. By default ten objects.
 */
function tenant(namespace: string, revision = 0, services = ['web', 'api'], configMaps = true): Map<string, string> {
  const files = new Map<string, string>();
  const put = (path: string, object: object) => files.set(`tenants/${namespace}/${path}`, `${JSON.stringify(object, null, 1)}\n`);
  put('namespace.yaml', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: LABELS } });
  put('quota.yaml', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'tenant-quota', namespace, labels: LABELS }, spec: { hard: { pods: '20' } } });
  for (const name of services) {
    const metadata = { name, namespace, labels: { ...LABELS, app: name } };
    put(`${name}/deployment.yaml`, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { ...metadata, annotations: { 'dangus.cloud/revision': String(revision) } },
      spec: { replicas: 0, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: `nginx:1.${String(revision)}` }] } } },
    });
    put(`${name}/service.yaml`, { apiVersion: 'v1', kind: 'Service', metadata, spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] } });
    put(`${name}/ingress.yaml`, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata,
      spec: { rules: [{ host: `${namespace}-${name}.example.com`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name, port: { number: 80 } } } }] } }] },
    });
    if (configMaps) put(`${name}/configmap.yaml`, { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { PORT: '8080' } });
  }
  return files;
}

/** Eleven objects: Namespace, ResourceQuota, and three services of Deployment, Service, Ingress. */
function threeServices(namespace: string, revision = 0): Map<string, string> {
  return tenant(namespace, revision, ['web', 'api', 'worker'], false);
}

/** One tenant's commit → its `api` Deployment carries the new revision, through `notify()`; p50 over `commits`. */
async function oneTenantLatency(kube: KubeConfig, dir: string, tenants: number, commits: number): Promise<{ p50: number; p99: number; firstSyncMs: number; objects: number }> {
  const repoDir = join(dir, `scale-${String(tenants)}.git`);
  const repo = await StateRepo.open({ dir: repoDir });
  const names = Array.from({ length: tenants }, (_, t) => `s${String(tenants)}-${t.toString().padStart(4, '0')}-shop`);
  const all = new Map<string, string>();
  for (const ns of names) for (const [path, text] of threeServices(ns)) all.set(path, text);
  await repo.commitAll(all, { verb: 'reconcile', summary: 'bench', actor: ACTOR });
  const applier = new Applier({ kube, source: repoDir, inventoryName: `bench-scale-${String(tenants)}`, concurrency: 8 });
  const first = await applier.sync();
  applier.start();
  const objects = KubernetesObjectApi.makeApiClient(kube);
  const times: number[] = [];
  for (let i = 1; i <= commits + 1; i += 1) {
    const ns = names[(i * 7919) % names.length] as string;
    await repo.commitTenant(ns, threeServices(ns, i), { verb: 'update', summary: `revision ${String(i)}`, actor: ACTOR });
    const started = performance.now();
    applier.notify();
    for (;;) {
      const live = await objects.read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: ns } });
      if (live.metadata?.annotations?.['dangus.cloud/revision'] === String(i)) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (i > 1) times.push(performance.now() - started); // the first: warm-up
  }
  await applier.stop();
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), firstSyncMs: first.durationMs, objects: first.applied };
}

/** `kubectl apply --server-side` of `files` (one multi-document file per tenant, Namespace first): wall time. */
async function kubectlApply(kubeconfig: string, dir: string, files: Map<string, string>): Promise<number | null> {
  const byTenant = new Map<string, string[]>();
  for (const [path, text] of files) {
    const tenantName = path.split('/')[1] ?? '';
    const docs = byTenant.get(tenantName) ?? [];
    if (path.endsWith('namespace.yaml')) docs.unshift(text);
    else docs.push(text);
    byTenant.set(tenantName, docs);
  }
  const out = join(dir, 'kubectl');
  await mkdir(out, { recursive: true });
  // YAML documents (kubectl reads a file that starts with `{` as one JSON object).
  for (const [name, docs] of byTenant) await writeFile(join(out, `${name}.yaml`), docs.map((doc) => dump(JSON.parse(doc))).join('---\n'));
  const started = performance.now();
  const result = spawnSync('kubectl', ['--kubeconfig', kubeconfig, 'apply', '--server-side', '--field-manager=bench-kubectl', '-f', out], { encoding: 'utf8' });
  if (result.error) return null; // no kubectl
  if (result.status !== 0) throw new Error(`kubectl apply failed: ${result.stderr}`);
  return performance.now() - started;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function main(): Promise<void> {
  let cluster: Cluster | null = null;
  const kube = new KubeConfig();
  const external = process.env.DANGUS_TEST_KUBECONFIG;
  if (external !== undefined && external !== '') kube.loadFromFile(external);
  else {
    cluster = await startCluster({ log: (line) => process.stderr.write(`${line}\n`) });
    kube.loadFromFile(cluster.kubeconfigPath);
  }
  const dir = await mkdtemp(join(tmpdir(), 'dangus-applier-bench-'));
  const rows: [string, string][] = [];
  try {
    // 1. Commit → object applied, event-driven.
    const latencyRepo = await StateRepo.open({ dir: join(dir, 'latency.git') });
    const applier = new Applier({ kube, source: join(dir, 'latency.git'), inventoryName: 'bench-latency' });
    applier.start();
    const objects = KubernetesObjectApi.makeApiClient(kube);
    const ns = 'bench01-latency';
    const latencies: number[] = [];
    for (let i = 0; i <= COMMITS; i += 1) {
      await latencyRepo.commitTenant(ns, tenant(ns, i), { verb: 'update', summary: `revision ${String(i)}`, actor: ACTOR });
      const started = performance.now();
      applier.notify();
      for (;;) {
        try {
          const live = await objects.read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns } });
          if (live.metadata?.annotations?.['dangus.cloud/revision'] === String(i)) break;
        } catch (error) {
          if (!(error instanceof ApiException) || error.code !== 404) throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      // The first commit creates the namespace: warm-up, not counted.
      if (i > 0) latencies.push(performance.now() - started);
    }
    await applier.stop();
    latencies.sort((a, b) => a - b);
    rows.push([`commit → Deployment updated (notify), p50 over ${String(latencies.length)} commits`, `${percentile(latencies, 50).toFixed(0)} ms`]);
    rows.push([`commit → Deployment updated (notify), p99`, `${percentile(latencies, 99).toFixed(0)} ms`]);

    // 2. 1,000 objects: first sync, no-op resync, naive apply-all.
    const bigRepo = await StateRepo.open({ dir: join(dir, 'big.git') });
    const all = new Map<string, string>();
    for (let t = 0; t < TENANTS; t += 1) for (const [path, text] of tenant(`bench${t.toString().padStart(3, '0')}-big`)) all.set(path, text);
    await bigRepo.commitAll(all, { verb: 'reconcile', summary: 'bench', actor: ACTOR });
    const client = new CountingClient(new KubeClusterClient(kube, 'dangus-applier'));
    const big = new Applier({ kube, source: join(dir, 'big.git'), client, inventoryName: 'bench-big' });
    const first = await big.sync();
    rows.push([`first sync of ${String(first.applied)} objects (creates)`, `${String(first.durationMs)} ms, ${String(first.writes)} writes`]);
    const noop: number[] = [];
    let noopWrites = 0;
    for (let i = 0; i < 5; i += 1) {
      // A fresh applier each time: the parse of the commit is part of a resync after a restart.
      const fresh = new Applier({ kube, source: join(dir, 'big.git'), client, inventoryName: 'bench-big' });
      const before = client.writes;
      const started = performance.now();
      await fresh.sync();
      noop.push(performance.now() - started);
      noopWrites += client.writes - before;
    }
    noop.sort((a, b) => a - b);
    const noopMs = percentile(noop, 50);
    rows.push([`no-op resync of ${String(first.applied)} objects, median of 5`, `${noopMs.toFixed(0)} ms, ${String(noopWrites)} writes in total`]);

    const parsed = parseManifests([...all].map(([path, text]) => ({ path, text })));
    if (!parsed.ok) throw new Error('bench manifests are invalid');
    const naive = new KubeClusterClient(kube, 'dangus-applier');
    const naiveTimes: number[] = [];
    for (let round = 0; round < 3; round += 1) {
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < parsed.objects.length) {
            const item = parsed.objects[next++];
            if (item !== undefined) await naive.apply(item.object);
          }
        }),
      );
      naiveTimes.push(performance.now() - started);
    }
    naiveTimes.sort((a, b) => a - b);
    const naiveMs = percentile(naiveTimes, 50);
    rows.push([`naive apply of all ${String(parsed.objects.length)} objects (SSA each, concurrency 8), median of 3`, `${naiveMs.toFixed(0)} ms, ${String(parsed.objects.length)} writes each`]);
    rows.push(['no-op resync / naive apply-all', `${(noopMs / naiveMs).toFixed(2)}× the time`]);

    // 3. The same objects, first sync: ours against kubectl apply --server-side (other namespaces).
    const kubeconfigPath = external !== undefined && external !== '' ? external : (cluster?.kubeconfigPath ?? '');
    const renamed = new Map([...all].map(([path, text]) => [path.replaceAll('-big', '-kctl'), text.replaceAll('-big', '-kctl')]));
    const kubectlMs = await kubectlApply(kubeconfigPath, dir, renamed);
    if (kubectlMs === null) rows.push(['first sync vs kubectl apply --server-side', 'skipped: no kubectl on PATH']);
    else {
      rows.push([`kubectl apply --server-side of the same ${String(parsed.objects.length)} objects (first time)`, `${kubectlMs.toFixed(0)} ms`]);
      rows.push(['first sync (ours) / kubectl apply --server-side (target ≤ 1.0)', `${(first.durationMs / kubectlMs).toFixed(2)}×`]);
    }

    // 4. A commit touching one tenant → applied, small install against large.
    const small = await oneTenantLatency(kube, dir, Number(args.small), 20);
    const large = await oneTenantLatency(kube, dir, Number(args.large), 20);
    rows.push([`one-tenant commit → applied at ${args.small} tenants × 3 services (${String(small.objects)} objects), p50 / p99`, `${small.p50.toFixed(0)} / ${small.p99.toFixed(0)} ms`]);
    rows.push([`one-tenant commit → applied at ${args.large} tenants × 3 services (${String(large.objects)} objects), p50 / p99`, `${large.p50.toFixed(0)} / ${large.p99.toFixed(0)} ms`]);
    rows.push(['ratio of the p50s, large / small (target ≤ 1.5)', `${(large.p50 / small.p50).toFixed(2)}×`]);
    rows.push([`(first sync of the ${String(large.objects)} objects of the large install)`, `${String(large.firstSyncMs)} ms`]);
  } finally {
    await rm(dir, { recursive: true, force: true });
    if (cluster !== null) await cluster.stop();
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\n| ${'measure'.padEnd(width)} | result |\n| ${'-'.repeat(width)} | --- |\n`);
  for (const [k, v] of rows) process.stdout.write(`| ${k.padEnd(width)} | ${v} |\n`);
}

await main();
