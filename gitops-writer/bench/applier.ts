/**
 * Applier benchmark (issue 5 "Benchmark"), on the real control plane of e2e/cluster
 * (or the cluster of DANGUS_TEST_KUBECONFIG):
 *
 * - commit → object applied, event-driven: a commit, `notify()`, and the time until
 *   the apiserver serves the new object; p50/p99 over `--commits` commits;
 * - a no-op resync of 1,000 objects (100 tenants × 10): write calls and time, and
 *   the same 1,000 objects applied naively (every object, same concurrency) in the
 *   same run.
 *
 * Run from the repository root: `node --import tsx gitops-writer/bench/applier.ts [--commits 40]`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiException, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { startCluster, type Cluster } from '../../e2e/cluster/src/cluster.js';
import { Applier } from '../src/applier/applier.js';
import { KubeClusterClient, type ClusterClient, type LiveObject } from '../src/applier/cluster-client.js';
import type { ManagedFieldsEntry } from '../src/applier/drift.js';
import { parseManifests } from '../src/applier/manifests.js';
import type { ManifestObject, ObjectRef } from '../src/applier/object-ref.js';
import { StateRepo } from '../src/state-repo/state-repo.js';

const { values: args } = parseArgs({ options: { commits: { type: 'string', default: '40' }, tenants: { type: 'string', default: '100' } } });
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

/** Ten objects: Namespace, ResourceQuota, and two services of Deployment (0 replicas: no pods), Service, Ingress, ConfigMap. */
function tenant(namespace: string, revision = 0): Map<string, string> {
  const files = new Map<string, string>();
  const put = (path: string, object: object) => files.set(`tenants/${namespace}/${path}`, `${JSON.stringify(object, null, 1)}\n`);
  put('namespace.yaml', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: LABELS } });
  put('quota.yaml', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'tenant-quota', namespace, labels: LABELS }, spec: { hard: { pods: '20' } } });
  for (const name of ['web', 'api']) {
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
    put(`${name}/configmap.yaml`, { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { PORT: '8080' } });
  }
  return files;
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
  } finally {
    await rm(dir, { recursive: true, force: true });
    if (cluster !== null) await cluster.stop();
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\n| ${'measure'.padEnd(width)} | result |\n| ${'-'.repeat(width)} | --- |\n`);
  for (const [k, v] of rows) process.stdout.write(`| ${k.padEnd(width)} | ${v} |\n`);
}

await main();
