// The applier on the real control plane (issue 5): create, update, prune, drift,
// invalid commits, Jobs created once, no-op resyncs, restarts, notify.
import { afterAll, describe, expect, it } from '@jest/globals';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiException, AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, NetworkingV1Api, PatchStrategy } from '@kubernetes/client-node';
import { Applier, InvalidCommitError, applierHttpHandler } from '@dangus/applier';
import type { StateRepo } from '@dangus/gitops-writer';

import { e2eKubeConfig } from '../cluster/src/index.js';
import { pollUntil } from '../cluster/src/util.js';
import { ACTOR, CountingClient, tempRepo, tenantFiles, uniqueNamespace, type ServiceSpec } from './support.js';

const kc = e2eKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const networking = kc.makeApiClient(NetworkingV1Api);
const objects = KubernetesObjectApi.makeApiClient(kc);
const WAIT = { timeoutMs: 120_000, intervalMs: 250 };
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

/** A state repo and an applier on it with its own inventory, so tests do not share state. */
async function setup(
  name: string,
  options: { refusedRetryMs?: number; driftPassMs?: number; inventoryPartBytes?: number; now?: () => Date } = {},
): Promise<{ repo: StateRepo; dir: string; client: CountingClient; applier: Applier; inventoryName: string }> {
  const { repo, dir, remove } = await tempRepo();
  const client = new CountingClient(kc);
  const inventoryName = `inventory-${name}-${Date.now().toString(36)}`;
  const applier = new Applier({ kube: kc, source: dir, client, inventoryName, ...options });
  cleanups.push(async () => {
    await applier.stop();
    await remove();
  });
  return { repo, dir, client, applier, inventoryName };
}

async function commit(repo: StateRepo, namespace: string, services: ServiceSpec[] | null): Promise<string> {
  const result = await repo.commitTenant(namespace, services === null ? null : tenantFiles(namespace, services), { verb: 'update', summary: 'test', actor: ACTOR });
  if (result.head === null) throw new Error('no commit');
  return result.head;
}

function status(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

async function exists(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return true;
  } catch (error) {
    if (status(error) === 404) return false;
    throw error;
  }
}

/**
 * What changes when anyone but a controller's status update writes an object: the
 * resourceVersion of objects no controller writes, and for the others (their status
 * moves on its own) the generation and the time of the applier's managed fields.
 */
async function writeMarks(namespace: string): Promise<Record<string, string | undefined>> {
  const [deployments, services, ingresses, quotas, ns] = await Promise.all([
    apps.listNamespacedDeployment({ namespace }),
    core.listNamespacedService({ namespace }),
    networking.listNamespacedIngress({ namespace }),
    core.listNamespacedResourceQuota({ namespace }),
    core.readNamespace({ name: namespace }),
  ]);
  const marks: Record<string, string | undefined> = { [`Namespace/${namespace}`]: ns.metadata?.resourceVersion };
  for (const o of services.items) marks[`Service/${o.metadata?.name ?? ''}`] = o.metadata?.resourceVersion;
  for (const o of ingresses.items) marks[`Ingress/${o.metadata?.name ?? ''}`] = o.metadata?.resourceVersion;
  for (const [kind, items] of [['Deployment', deployments.items], ['ResourceQuota', quotas.items]] as const) {
    for (const o of items) {
      const applied = o.metadata?.managedFields?.find((f) => f.manager === 'dangus-applier');
      marks[`${kind}/${o.metadata?.name ?? ''}`] = `${String(o.metadata?.generation)} ${applied?.time?.toISOString() ?? ''}`;
    }
  }
  return marks;
}

describe('applier', () => {
  it('when a tenant is committed, then its namespace and objects are created and the status names the commit', async () => {
    const { repo, applier } = await setup('create');
    const ns = uniqueNamespace('create');
    const head = await commit(repo, ns, [{ name: 'web', pvc: true }]);

    const report = await applier.sync();

    expect(report.errors).toEqual([]);
    expect(report.applied).toBe(6);
    const deployment = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe('nginx:1.27');
    expect(deployment.metadata?.managedFields?.some((f) => f.manager === 'dangus-applier' && f.operation === 'Apply')).toBe(true);
    await core.readNamespacedService({ name: 'web', namespace: ns });
    await networking.readNamespacedIngress({ name: 'web', namespace: ns });
    await core.readNamespacedPersistentVolumeClaim({ name: 'web-data', namespace: ns });
    const state = applier.status();
    expect(state.appliedCommit).toBe(head);
    expect(state.appliedAt).not.toBeNull();
    expect(state.objects.map((o) => `${o.ref.kind}/${o.ref.name}`).sort()).toEqual([
      'Deployment/web', 'Ingress/web', `Namespace/${ns}`, 'PersistentVolumeClaim/web-data', 'ResourceQuota/tenant-quota', 'Service/web',
    ]);
  });

  it('when a manifest has a field the client library names differently (LimitRange `default`), then it reaches the cluster intact', async () => {
    const { repo, applier } = await setup('wire-names');
    const ns = uniqueNamespace('wire');
    const files = tenantFiles(ns, []);
    const path = `tenants/${ns}/namespace.yaml`;
    const limits = { type: 'Container', default: { cpu: '500m', memory: '512Mi' }, defaultRequest: { cpu: '50m', memory: '64Mi' } };
    const limitRange = { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'tenant-defaults', namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'dangus' } }, spec: { limits: [limits] } };
    files.set(path, `${files.get(path) ?? ''}---\n${JSON.stringify(limitRange)}\n`);
    await repo.commitTenant(ns, files, { verb: 'update', summary: 'test', actor: ACTOR });

    const report = await applier.sync();

    expect(report.errors).toEqual([]);
    const live = await core.readNamespacedLimitRange({ name: 'tenant-defaults', namespace: ns });
    expect(live.spec?.limits[0]?._default).toEqual({ cpu: '500m', memory: '512Mi' });
    expect(live.spec?.limits[0]?.defaultRequest).toEqual({ cpu: '50m', memory: '64Mi' });
    // And a second sync sees no drift in it.
    expect((await applier.sync()).writes).toBe(0);
  });

  it('when a service changes, then the next sync updates it, and a second sync of that commit writes nothing', async () => {
    const { repo, applier, client } = await setup('update');
    const ns = uniqueNamespace('update');
    await commit(repo, ns, [{ name: 'web' }]);
    await applier.sync();
    await commit(repo, ns, [{ name: 'web', image: 'nginx:1.28', replicas: 2 }]);

    const update = await applier.sync();
    expect(update.applied).toBe(1);
    const deployment = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    expect(deployment.spec?.replicas).toBe(2);
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe('nginx:1.28');

    const before = await writeMarks(ns);
    expect(Object.keys(before)).toHaveLength(5);
    const writesBefore = client.writes;
    const again = await applier.sync();
    expect(again).toMatchObject({ applied: 0, writes: 0, pruned: 0 });
    expect(client.writes).toBe(writesBefore);
    expect(await writeMarks(ns)).toEqual(before);
  });

  it('when a service is deleted, then its Deployment, Service, Ingress and PVC are pruned and the rest stays', async () => {
    const { repo, applier } = await setup('prune');
    const ns = uniqueNamespace('prune');
    await commit(repo, ns, [{ name: 'web', pvc: true }, { name: 'api' }]);
    await applier.sync();
    await commit(repo, ns, [{ name: 'api' }]);

    const report = await applier.sync();

    expect(report.pruned).toBe(4);
    await pollUntil(
      async () =>
        !(await exists(() => apps.readNamespacedDeployment({ name: 'web', namespace: ns }))) &&
        !(await exists(() => core.readNamespacedService({ name: 'web', namespace: ns }))) &&
        !(await exists(() => networking.readNamespacedIngress({ name: 'web', namespace: ns }))) &&
        !(await exists(() => core.readNamespacedPersistentVolumeClaim({ name: 'web-data', namespace: ns }))),
      { ...WAIT, what: 'the web service objects to be gone' },
    );
    expect(await exists(() => apps.readNamespacedDeployment({ name: 'api', namespace: ns }))).toBe(true);
  });

  it('when a tenant is deleted, then its namespace is deleted; objects outside the inventory are never touched', async () => {
    const { repo, applier } = await setup('tenant');
    const ns = uniqueNamespace('gone');
    const bystander = uniqueNamespace('bystander');
    await core.createNamespace({ body: { metadata: { name: bystander, labels: { 'app.kubernetes.io/managed-by': 'dangus' } } } });
    cleanups.push(async () => {
      await core.deleteNamespace({ name: bystander });
    });
    await commit(repo, ns, [{ name: 'web' }]);
    await applier.sync();
    await commit(repo, ns, null);

    await applier.sync();

    await pollUntil(async () => !(await exists(() => core.readNamespace({ name: ns }))), { ...WAIT, what: `namespace ${ns} to be gone` });
    expect(await exists(() => core.readNamespace({ name: bystander }))).toBe(true);
  });

  it('when the inventory outgrows one ConfigMap, then it is kept in parts, shrinks back, and a restarted applier reads it whole', async () => {
    const { repo, dir, client, applier, inventoryName } = await setup('parts', { inventoryPartBytes: 1_500 });
    const tenants = [uniqueNamespace('parts-a'), uniqueNamespace('parts-b'), uniqueNamespace('parts-c')];
    for (const ns of tenants) await commit(repo, ns, [{ name: 'web' }, { name: 'api' }]);
    expect((await applier.sync()).errors).toEqual([]);
    const partsOf = async () =>
      (await core.listNamespacedConfigMap({ namespace: 'dangus-system' })).items
        .map((c) => c.metadata?.name ?? '')
        .filter((name) => name === inventoryName || name.startsWith(`${inventoryName}-`))
        .sort();
    const many = await partsOf();
    expect(many.length).toBeGreaterThan(2);

    // A restarted applier reads every part: a full sync of the same commit writes nothing.
    const restarted = new Applier({ kube: kc, source: dir, client, inventoryName, inventoryPartBytes: 1_500 });
    expect((await restarted.sync()).writes).toBe(0);

    // A change to one tenant rewrites its part and the head, no other.
    client.written.length = 0;
    await commit(repo, tenants[2] as string, [{ name: 'web', image: 'nginx:1.28' }, { name: 'api' }]);
    expect((await restarted.syncChanged()).errors).toEqual([]);
    expect(client.written.filter((call) => call.startsWith('apply ConfigMap dangus-system/'))).toHaveLength(2);

    // Two tenants leave: the inventory shrinks to fewer parts and the parts it no longer has go.
    await commit(repo, tenants[0] as string, null);
    await commit(repo, tenants[1] as string, null);
    expect((await restarted.syncChanged()).errors).toEqual([]);
    const fewer = await partsOf();
    const head = await core.readNamespacedConfigMap({ name: inventoryName, namespace: 'dangus-system' });
    const count = (JSON.parse(head.data?.['inventory.json'] ?? '{}') as { parts?: number }).parts ?? 0;
    expect(fewer).toEqual([inventoryName, ...Array.from({ length: count }, (_, i) => `${inventoryName}-${String(i + 1)}`)].sort());
    expect(fewer.length).toBeLessThan(many.length);
    expect((await new Applier({ kube: kc, source: dir, client, inventoryName, inventoryPartBytes: 1_500 }).sync()).writes).toBe(0);
  });

  it('when a sync stops between an inventory part and its head, then the next sync takes the parts as they are and heals the head', async () => {
    const { repo, dir, client, applier, inventoryName } = await setup('torn', { inventoryPartBytes: 1_500 });
    const tenants = [uniqueNamespace('torn-a'), uniqueNamespace('torn-b'), uniqueNamespace('torn-c')];
    for (const ns of tenants) await commit(repo, ns, [{ name: 'web' }, { name: 'api' }]);
    expect((await applier.sync()).errors).toEqual([]);
    // One object changes: its apply, its part, then the head would be written; the head fails.
    await commit(repo, tenants[1] as string, [{ name: 'web', image: 'nginx:1.28' }, { name: 'api' }]);
    client.crashAfterWrites = client.writes + 2;
    await expect(applier.syncChanged()).rejects.toThrow('simulated crash');
    client.crashAfterWrites = null;
    expect(client.written.at(-1)).toMatch(new RegExp(`^apply ConfigMap dangus-system/${inventoryName}-\\d+$`));
    // The same applier, and a restarted one, read the parts as they are and write a head that matches them.
    expect((await applier.syncChanged()).errors).toEqual([]);
    const restarted = new Applier({ kube: kc, source: dir, client, inventoryName, inventoryPartBytes: 1_500 });
    expect(await restarted.sync()).toMatchObject({ errors: [], writes: 0 });
    expect((await apps.readNamespacedDeployment({ name: 'web', namespace: tenants[1] as string })).spec?.template.spec?.containers[0]?.image).toBe('nginx:1.28');
  });

  describe('only what changed', () => {
    it('after a commit to one tenant, the sync reads and writes only that tenant, and the inventory stays exact', async () => {
      const { repo, client, applier, inventoryName } = await setup('scoped');
      const tenants = [uniqueNamespace('scope-a'), uniqueNamespace('scope-b'), uniqueNamespace('scope-c')];
      for (const ns of tenants) await commit(repo, ns, [{ name: 'web' }, { name: 'api', pvc: true }]);
      expect((await applier.sync()).errors).toEqual([]);

      // One tenant changes: a service's image, and a service removed.
      const [changed, other] = tenants as [string, string, string];
      const head = await commit(repo, changed, [{ name: 'web', image: 'nginx:1.28' }]);
      client.reads.length = 0;
      client.written.length = 0;
      const report = await applier.syncChanged();
      expect(report.errors).toEqual([]);
      expect(report.applied).toBe(1);
      expect(report.pruned).toBe(4); // api's Deployment, Service, Ingress and PVC
      // Every read and write names the changed tenant's namespace (or the inventory).
      const touched = [...client.reads, ...client.written].map((call) => call.split(' ')[2] ?? '');
      const inventory = (where: string) => where === `dangus-system/${inventoryName}` || where.startsWith(`dangus-system/${inventoryName}-`);
      const outside = touched.filter((where) => !where.startsWith(`${changed}/`) && where !== changed && where !== `/${changed}` && !inventory(where));
      expect(outside).toEqual([]);
      expect(client.reads.some((call) => call.endsWith(' *'))).toBe(false); // no cluster-wide list
      expect((await apps.readNamespacedDeployment({ name: 'web', namespace: changed })).spec?.template.spec?.containers[0]?.image).toBe('nginx:1.28');
      expect(await exists(() => apps.readNamespacedDeployment({ name: 'api', namespace: changed }))).toBe(false);
      expect(await exists(() => apps.readNamespacedDeployment({ name: 'api', namespace: other }))).toBe(true);

      // The inventory is exactly what a full sync of that commit records.
      const stored = await core.readNamespacedConfigMap({ name: inventoryName, namespace: 'dangus-system' });
      expect(applier.status().appliedCommit).toBe(head);
      client.reads.length = 0;
      client.written.length = 0;
      const full = await applier.sync();
      expect(full.writes).toBe(0);
      expect((await core.readNamespacedConfigMap({ name: inventoryName, namespace: 'dangus-system' })).data).toEqual(stored.data);
      // Nothing changed since: a scoped sync is a no-op that reads nothing but the inventory.
      client.reads.length = 0;
      const idle = await applier.syncChanged();
      expect(idle).toMatchObject({ applied: 0, unchanged: 0, pruned: 0, writes: 0 });
      expect(client.reads).toEqual([`get ConfigMap dangus-system/${inventoryName}`]);
    });

    it('a tenant that left the repo is pruned, and drift is repaired by the resync slices within one pass', async () => {
      const { repo, applier } = await setup('slices', { driftPassMs: 180_000 });
      const tenants = [uniqueNamespace('slice-a'), uniqueNamespace('slice-b'), uniqueNamespace('slice-c'), uniqueNamespace('slice-d')];
      for (const ns of tenants) await commit(repo, ns, [{ name: 'web', replicas: 1 }]);
      await applier.sync();
      const [gone, drifted] = tenants as [string, string, string, string];
      await commit(repo, gone, null);
      const pruned = await applier.syncChanged();
      expect(pruned.errors).toEqual([]);
      await pollUntil(async () => !(await exists(() => core.readNamespace({ name: gone }))) || (await core.readNamespace({ name: gone })).status?.phase === 'Terminating', { ...WAIT, what: 'the namespace to go' });

      // Someone scales a Deployment by hand: a changed-only sync leaves it (nothing changed in git) …
      await objects.patch(
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: drifted }, spec: { replicas: 5 } },
        undefined,
        undefined,
        'kubectl-scale',
        undefined,
        PatchStrategy.MergePatch,
      );
      expect((await applier.syncChanged()).applied).toBe(0);
      // … and the resyncs (a pass of 3 tenants here: driftPassMs = 3 × resync) repair it within one pass.
      let repaired = false;
      for (let i = 0; i < 3 && !repaired; i += 1) {
        const slice = await applier.syncChanged(true);
        expect(slice.errors).toEqual([]);
        repaired = (await apps.readNamespacedDeployment({ name: 'web', namespace: drifted })).spec?.replicas === 1;
      }
      expect(repaired).toBe(true);
    });
  });

  it('when a Deployment is edited by hand, then the resync puts it back', async () => {
    const { repo, applier } = await setup('drift');
    const ns = uniqueNamespace('drift');
    await commit(repo, ns, [{ name: 'web', replicas: 1 }]);
    await applier.sync();
    await objects.patch(
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns }, spec: { replicas: 4, template: { spec: { containers: [{ name: 'app', image: 'evil:latest' }] } } } },
      undefined,
      undefined,
      'kubectl-edit',
      undefined,
      PatchStrategy.StrategicMergePatch,
    );
    const edited = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    expect(edited.spec?.replicas).toBe(4);

    const report = await applier.sync();

    expect(report.applied).toBe(1);
    const repaired = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
    expect(repaired.spec?.replicas).toBe(1);
    expect(repaired.spec?.template.spec?.containers[0]?.image).toBe('nginx:1.27');
  });

  describe('drift on every kind of field converges', () => {
    it('a list entry added by hand under our port name (kubectl patch) is replaced at the next sync, not refused as a duplicate', async () => {
      const { repo, applier } = await setup('listdrift');
      const ns = uniqueNamespace('listdrift');
      await commit(repo, ns, [{ name: 'web', namedPort: true }]);
      await applier.sync();
      // What `kubectl patch service web --type=merge -p '{"spec":{"ports":[{"name":"http","port":9999,"targetPort":9999}]}}'` does.
      await objects.patch(
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns }, spec: { ports: [{ name: 'http', port: 9999, targetPort: 9999 }] } },
        undefined,
        undefined,
        'kubectl-patch',
        undefined,
        PatchStrategy.MergePatch,
      );
      expect((await core.readNamespacedService({ name: 'web', namespace: ns })).spec?.ports?.map((p) => p.port)).toEqual([9999]);

      const report = await applier.sync();

      expect(report.errors).toEqual([]);
      const repaired = await core.readNamespacedService({ name: 'web', namespace: ns });
      expect(repaired.spec?.ports?.map((p) => [p.name, p.port, p.targetPort])).toEqual([['http', 80, 8080]]);
      // The hand edit's ownership is gone; ours covers the port again, and the next sync has nothing to do.
      expect(repaired.metadata?.managedFields?.map((f) => f.manager)).not.toContain('kubectl-patch');
      expect((await applier.sync()).writes).toBe(0);
    });

    it('an object deleted by hand is re-created at the next sync', async () => {
      const { repo, applier } = await setup('deleted');
      const ns = uniqueNamespace('deleted');
      await commit(repo, ns, [{ name: 'web' }]);
      await applier.sync();
      await core.deleteNamespacedService({ name: 'web', namespace: ns });

      const report = await applier.sync();

      expect(report.errors).toEqual([]);
      expect(await exists(() => core.readNamespacedService({ name: 'web', namespace: ns }))).toBe(true);
    });

    it('labels and annotations others add are kept when they are not ours; ours are restored', async () => {
      const { repo, applier } = await setup('labels');
      const ns = uniqueNamespace('labels');
      await commit(repo, ns, [{ name: 'web' }]);
      await applier.sync();
      await objects.patch(
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'web', namespace: ns, labels: { app: 'hijacked', team: 'blue' }, annotations: { 'example.com/owner': 'ops' } },
        },
        undefined,
        undefined,
        'kubectl-label',
        undefined,
        PatchStrategy.MergePatch,
      );

      await applier.sync();

      const service = await core.readNamespacedService({ name: 'web', namespace: ns });
      expect(service.metadata?.labels).toEqual(expect.objectContaining({ app: 'web', team: 'blue', 'app.kubernetes.io/managed-by': 'dangus' }));
      expect(service.metadata?.annotations?.['example.com/owner']).toBe('ops');
    });
  });

  it('when a commit holds a broken manifest, then the sync fails, nothing is applied and nothing is pruned', async () => {
    const { repo, applier, client } = await setup('broken');
    const ns = uniqueNamespace('broken');
    await commit(repo, ns, [{ name: 'web' }, { name: 'api' }]);
    await applier.sync();
    const good = applier.status().appliedCommit;
    const files = tenantFiles(ns, [{ name: 'web', replicas: 3 }]);
    files.set(`tenants/${ns}/web/service.yaml`, 'apiVersion: v1\nkind: Service\nmetadata: [broken');
    await repo.commitTenant(ns, files, { verb: 'update', summary: 'broken', actor: ACTOR });
    const writes = client.writes;

    await expect(applier.sync()).rejects.toBeInstanceOf(InvalidCommitError);

    expect(client.writes).toBe(writes);
    expect((await apps.readNamespacedDeployment({ name: 'web', namespace: ns })).spec?.replicas).toBe(1);
    expect(await exists(() => apps.readNamespacedDeployment({ name: 'api', namespace: ns }))).toBe(true);
    expect(applier.status()).toMatchObject({ appliedCommit: good, lastError: expect.stringContaining('web/service.yaml') });
  });

  it('when a build Job finished and was deleted, then the same commit does not re-create it', async () => {
    const { repo, applier } = await setup('job');
    const ns = uniqueNamespace('job');
    await commit(repo, ns, [{ name: 'web', build: 'abc1234' }]);
    await applier.sync();
    const job = { name: 'web-build-abc1234', namespace: ns };
    await pollUntil(async () => (await batch.readNamespacedJob(job)).status?.succeeded === 1, { ...WAIT, what: 'the build Job to complete' });
    await batch.deleteNamespacedJob({ ...job, propagationPolicy: 'Background' });
    await pollUntil(async () => !(await exists(() => batch.readNamespacedJob(job))), { ...WAIT, what: 'the Job to be gone' });

    const report = await applier.sync();

    expect(report).toMatchObject({ jobsNotRecreated: 1, applied: 0, writes: 0 });
    expect(await exists(() => batch.readNamespacedJob(job))).toBe(false);
    // The next commit drops the Job from git: it leaves the inventory, nothing to delete.
    await commit(repo, ns, [{ name: 'web', image: 'registry/web:abc1234' }]);
    const rollout = await applier.sync();
    expect(rollout.errors).toEqual([]);
    expect(await exists(() => batch.readNamespacedJob(job))).toBe(false);
  });

  it('when a change hits an immutable field, then that object reports an error, the others apply, and it is retried with backoff', async () => {
    // The applier's clock is the test's: the backoff runs out when the test moves it, however slow the machine.
    let clock = Date.now();
    const { repo, applier, client } = await setup('immutable', { refusedRetryMs: 1_500, now: () => new Date(clock) });
    const ns = uniqueNamespace('immutable');
    await commit(repo, ns, [{ name: 'web' }]);
    await applier.sync();
    // A Deployment's selector is immutable.
    const files = tenantFiles(ns, [{ name: 'web', replicas: 2 }]);
    const path = `tenants/${ns}/web/deployment.yaml`;
    files.set(path, (files.get(path) ?? '').replace('"matchLabels": {\n        "app": "web"\n      }', '"matchLabels": {\n        "app": "web",\n        "tier": "x"\n      }').replace('"labels": {\n            "app": "web"\n          }', '"labels": {\n            "app": "web",\n            "tier": "x"\n          }'));
    files.set(`tenants/${ns}/web/service.yaml`, (files.get(`tenants/${ns}/web/service.yaml`) ?? '').replace('"port": 80', '"port": 81'));
    await repo.commitTenant(ns, files, { verb: 'update', summary: 'selector', actor: ACTOR });

    const report = await applier.sync();

    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]?.ref.kind).toBe('Deployment');
    expect(report.errors[0]?.message).toMatch(/immutable/);
    expect((await core.readNamespacedService({ name: 'web', namespace: ns })).spec?.ports?.[0]?.port).toBe(81);
    // Parked while its backoff runs: a resync just before it ends does not try again.
    const writes = client.writes;
    clock += 1_499;
    const again = await applier.sync();
    expect(again.errors).toHaveLength(1);
    expect(client.writes).toBe(writes);
    // Past it, tried again (and refused again).
    clock += 1;
    const retried = await applier.sync();
    expect(retried.errors).toHaveLength(1);
    expect(client.writes).toBe(writes + 1);
    // The backoff doubled: parked until 3 s after that refusal.
    clock += 2_999;
    expect((await applier.sync()).errors).toHaveLength(1);
    expect(client.writes).toBe(writes + 1);
    // Deleted by hand while parked: tried again at the very next sync.
    await apps.deleteNamespacedDeployment({ name: 'web', namespace: ns });
    await pollUntil(async () => !(await exists(() => apps.readNamespacedDeployment({ name: 'web', namespace: ns }))), { ...WAIT, what: 'the Deployment to be gone' });
    await applier.sync();
    expect(client.writes).toBe(writes + 2);
  });

  it('when the applier dies mid-sync, then a new one converges and prunes what left the repo meanwhile', async () => {
    const { repo, dir, client, applier, inventoryName } = await setup('restart');
    const ns = uniqueNamespace('restart');
    await commit(repo, ns, [{ name: 'web' }, { name: 'api' }]);
    await applier.sync();
    await commit(repo, ns, [{ name: 'web', replicas: 2 }, { name: 'worker' }]);
    client.crashAfterWrites = client.writes + 2;
    await expect(applier.sync()).rejects.toThrow('simulated crash');

    const restarted = new Applier({ kube: kc, source: dir, inventoryName, client: new CountingClient(kc) });
    const report = await restarted.sync();

    expect(report.errors).toEqual([]);
    expect((await apps.readNamespacedDeployment({ name: 'web', namespace: ns })).spec?.replicas).toBe(2);
    expect(await exists(() => apps.readNamespacedDeployment({ name: 'worker', namespace: ns }))).toBe(true);
    await pollUntil(async () => !(await exists(() => apps.readNamespacedDeployment({ name: 'api', namespace: ns }))), { ...WAIT, what: 'api to be pruned' });
    expect(await restarted.sync()).toMatchObject({ writes: 0 });
  });

  it('when the api POSTs /notify after a commit, then the applier syncs without waiting for the resync', async () => {
    const { repo, dir, inventoryName } = await setup('notify');
    const applier = new Applier({ kube: kc, source: dir, inventoryName, resyncIntervalMs: 600_000 });
    const server = createServer(applierHttpHandler(applier));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      server.close();
      await applier.stop();
    });
    applier.start();
    await pollUntil(() => Promise.resolve(applier.status().lastSync !== null), { ...WAIT, what: 'the first sync' });
    const ns = uniqueNamespace('notify');
    const head = await commit(repo, ns, [{ name: 'web' }]);

    const code = await new Promise<number | undefined>((resolve, reject) => {
      const req = request({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', path: '/notify', method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end();
    });

    expect(code).toBe(202);
    await pollUntil(() => Promise.resolve(applier.status().appliedCommit === head), { timeoutMs: 10_000, intervalMs: 20, what: 'the notified commit to be applied' });
    expect(await exists(() => core.readNamespace({ name: ns }))).toBe(true);
  });

  it('with a token, /status and /notify need it and the probe does not', async () => {
    const { dir, inventoryName } = await setup('token');
    const applier = new Applier({ kube: kc, source: dir, inventoryName, resyncIntervalMs: 600_000 });
    const server = createServer(applierHttpHandler(applier, { token: 'applier-token-0123456789' }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      server.close();
      await applier.stop();
    });
    const base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
    const auth = { Authorization: 'Bearer applier-token-0123456789' };
    expect((await fetch(`${base}/status`)).status).toBe(401);
    expect((await fetch(`${base}/status`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${base}/notify`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${base}/status`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${base}/notify`, { method: 'POST', headers: auth })).status).toBe(202);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('when the apiserver is unreachable, then the sync fails with a reported error and the applier keeps retrying', async () => {
    const { dir, repo } = await setup('unreachable');
    await commit(repo, uniqueNamespace('unreachable'), [{ name: 'web' }]);
    const dead = new KubeConfig();
    dead.loadFromOptions({
      clusters: [{ name: 'dead', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'dead', cluster: 'dead', user: 'u' }],
      currentContext: 'dead',
    });
    const applier = new Applier({ kube: dead, source: dir, retryDelayMs: 50, resyncIntervalMs: 1_000 });
    cleanups.push(() => applier.stop());

    applier.start();
    const first = await pollUntil(() => Promise.resolve(applier.status().lastError ?? undefined), { ...WAIT, what: 'an error to be reported' });
    const attempt = applier.status().lastAttemptAt;
    await pollUntil(() => Promise.resolve(applier.status().lastAttemptAt !== attempt), { ...WAIT, what: 'a retry' });

    expect(first).toMatch(/ECONNREFUSED|fetch failed|connect/i);
    expect(applier.status().appliedCommit).toBeNull();
  });
});
