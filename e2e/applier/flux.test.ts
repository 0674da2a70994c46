/**
 * Flux as the platform's GitOps engine, for real: source-controller and
 * kustomize-controller built from their modules fetch /state.git from the api with the
 * bootstrap example's bearer token and apply it, one Kustomization per tenant. The api
 * runs as installed (APPLIER=external, pipeline on, Flux poked after every commit); the
 * built-in applier, when it runs, is a separate one notified over HTTP, as its
 * Deployment is. One story, in order:
 *
 *   built-in applier → push to live → handover to Flux → port change → a tenant Flux
 *   cannot apply stays alone → handover back to the built-in applier → port change.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdmissionregistrationV1Api, CustomObjectsApi, KubernetesObjectApi, PatchStrategy, type V1Service } from '@kubernetes/client-node';
import request from 'supertest';
import { Applier, HttpRepoSource, applierHttpHandler } from '@dangus/applier';
import { ORIGIN } from '@dangus/api/test-support/platform';
import { listen } from '@dangus/api/server';
import { e2eKubeconfigPath } from '../cluster/src/index.js';
import { pollUntil } from '../cluster/src/util.js';
import { createProject, createService, push, sha, startWorld, waitForStatus, type PipelineWorld } from '../pipeline/support.js';
import { FLUX_KUSTOMIZATIONS as KUSTOMIZATIONS, applyFluxExample, fluxReady, startFlux, type Flux } from '../support/flux.js';

const TOKEN = 'state-repo-token-for-flux-and-the-applier';
const APPLIER_TOKEN = 'applier-token-for-the-notify';
const FLUX_NS = 'flux-system';

interface ManagedField {
  manager?: string;
  operation?: string;
}

const managers = (object: { metadata?: { managedFields?: ManagedField[] } }) =>
  (object.metadata?.managedFields ?? []).filter((entry) => entry.operation === 'Apply').map((entry) => entry.manager);

describe('Flux applies the state repo per tenant, and takes over from the built-in applier and back', () => {
  let world: PipelineWorld;
  let flux: Flux;
  let server: Server;
  let notifyServer: Server;
  let origin: string;
  let cacheDir: string;
  let applier: Applier | undefined;
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const inventoryName = `inventory-flux-${randomBytes(3).toString('hex')}`;
  const headers = () => ({ Origin: ORIGIN, Cookie: world.cookie });
  let web: { id: string; namespace: string; serviceId: string };
  const policy = `freeze-services-${randomBytes(3).toString('hex')}`;

  const custom = () => world.kube.makeApiClient(CustomObjectsApi);
  const head = async () => {
    const at = await world.platform.writer.repo.head();
    if (!at) throw new Error('the state repo has no head');
    return at;
  };
  const service = (namespace: string, name: string) => world.core.readNamespacedService({ namespace, name });
  const startApplier = () => {
    const next = new Applier({
      kube: world.kube,
      source: new HttpRepoSource({ url: `${origin}/state.git`, token: TOKEN, cacheDir: join(cacheDir, `state-${Date.now().toString(36)}.git`) }),
      inventoryName,
      // No resync within the test: the api's notify is what makes it sync.
      resyncIntervalMs: 600_000,
    });
    handler = applierHttpHandler(next, { token: APPLIER_TOKEN });
    next.start();
    return next;
  };
  const tenantReady = (namespace: string, revisionOf?: string) =>
    pollUntil(
      async () => {
        const ready = await fluxReady(world.kube, { ...KUSTOMIZATIONS, name: namespace });
        if (ready?.status !== 'True') return false;
        return revisionOf === undefined || ready.revision?.endsWith(revisionOf) ? ready : false;
      },
      { what: `Flux Kustomization ${namespace} to be ready${revisionOf ? ` at ${revisionOf.slice(0, 7)}` : ''}`, timeoutMs: 60_000, intervalMs: 200 },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${flux.output().split('\n').slice(-30).join('\n')}`);
    });
  const changePort = async (port: number) => {
    await request(world.platform.app).patch(`/api/services/${web.serviceId}`).set(headers()).send({ port }).expect(200);
    return head();
  };
  const patchKustomization = (name: string, patch: { metadata?: Record<string, unknown>; spec?: Record<string, unknown> }) =>
    KubernetesObjectApi.makeApiClient(world.kube).patch(
      { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', ...patch, metadata: { ...patch.metadata, name, namespace: FLUX_NS } },
      undefined,
      undefined,
      'e2e',
      undefined,
      PatchStrategy.MergePatch,
    );
  /** Waits until the apiserver's admission refuses (or admits) a Service in `namespace`, as a dry run. */
  const refusing = (namespace: string, refused: boolean) =>
    pollUntil(
      () =>
        world.core
          .createNamespacedService({ namespace, dryRun: 'All', body: { metadata: { name: 'probe' }, spec: { ports: [{ port: 1 }] } } })
          .then(() => !refused, (error: unknown) => refused && String((error as { body?: unknown }).body ?? error).includes('frozen here')),
      { what: `the admission policy to ${refused ? 'refuse' : 'admit'} Services`, timeoutMs: 30_000, intervalMs: 200 },
    );
  const portsOf = (svc: V1Service) => (svc.spec?.ports ?? []).map((p) => `${p.name ?? ''}:${String(p.port)}`);

  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'dangus-flux-applier-'));
    notifyServer = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => notifyServer.listen(0, '127.0.0.1', resolve));
    const notifyUrl = `http://127.0.0.1:${String((notifyServer.address() as AddressInfo).port)}/notify`;
    world = await startWorld({
      APPLIER: 'external',
      STATE_REPO_TOKEN: TOKEN,
      APPLIER_NOTIFY_URL: notifyUrl,
      APPLIER_TOKEN,
      FLUX_GITREPOSITORY: `${FLUX_NS}/dangus-state`,
    });
    server = await listen(world.platform.app, '127.0.0.1', 0);
    origin = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
    // Flux as the handover documents it: kustomize-controller takes over the built-in applier's fields.
    flux = await startFlux({ kube: world.kube, kubeconfigPath: e2eKubeconfigPath(), overrideManagers: ['dangus-applier'] });
  }, 300_000);

  afterAll(async () => {
    await applier?.stop();
    const admission = world.kube.makeApiClient(AdmissionregistrationV1Api);
    await admission.deleteValidatingAdmissionPolicyBinding({ name: policy }).catch(() => undefined);
    await admission.deleteValidatingAdmissionPolicy({ name: policy }).catch(() => undefined);
    await flux.stop();
    await new Promise((resolve) => server.close(resolve));
    await new Promise((resolve) => notifyServer.close(resolve));
    await world.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('the built-in applier, notified after each commit, brings a pushed service live', async () => {
    applier = startApplier();
    const project = await createProject(world, 'handover');
    const created = await createService(world, project.id, 'web');
    const commit = sha();
    world.pods.set(commit, { log: 'built\n', runDuration: '1s' });
    await waitForStatus(world, String((await push(world, created, commit)).body.deploymentId), 'live');
    web = { id: project.id, namespace: project.namespace, serviceId: created.id };
    const svc = await service(web.namespace, 'web');
    expect(portsOf(svc)).toEqual(['http:8080']);
    expect(managers(svc)).toEqual(['dangus-applier']);
  });

  it('hands over to Flux: the example applies flux/, one Kustomization per tenant takes the objects over, and a port change works', async () => {
    await applier?.stop();
    applier = undefined;
    handler = (_req, res) => res.writeHead(503).end();

    // The bootstrap example, as its README says to apply it, pointed at this api.
    await applyFluxExample(world.kube, { url: `${origin}/state.git`, token: TOKEN });

    const at = await head();
    await tenantReady(web.namespace, at);
    const list = (await custom().listNamespacedCustomObject({ ...KUSTOMIZATIONS, labelSelector: 'app.kubernetes.io/managed-by=dangus' })) as {
      items: { metadata: { name: string }; spec: { path: string } }[];
    };
    expect(list.items.map((k) => [k.metadata.name, k.spec.path])).toContainEqual([web.namespace, `./tenants/${web.namespace}`]);
    // --override-manager: Flux took the built-in applier's fields; the object is Flux's alone.
    expect(managers(await service(web.namespace, 'web'))).toEqual(['kustomize-controller']);

    // The poke (FLUX_GITREPOSITORY) brings the change without waiting for the 1 m interval.
    const changed = await changePort(9090);
    await tenantReady(web.namespace, changed);
    expect(portsOf(await service(web.namespace, 'web'))).toEqual(['http:9090']);
    const deployment = await world.apps.readNamespacedDeployment({ namespace: web.namespace, name: 'web' });
    expect(deployment.spec?.template.spec?.containers[0]?.ports?.map((p) => p.containerPort)).toEqual([9090]);
  });

  it('a tenant Flux cannot apply fails alone: other tenants change, and a project created meanwhile gets its guard rails', async () => {
    const frozen = await createProject(world, 'frozen');
    await tenantReady(frozen.namespace, await head());
    // The cluster refuses every Service in that namespace (an admission policy, as a cluster's own rules would).
    const admission = world.kube.makeApiClient(AdmissionregistrationV1Api);
    await admission.createValidatingAdmissionPolicy({
      body: {
        metadata: { name: policy },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['services'] }] },
          validations: [{ expression: 'false', message: 'Services are frozen here by the test' }],
        },
      },
    });
    await admission.createValidatingAdmissionPolicyBinding({
      body: {
        metadata: { name: policy },
        spec: { policyName: policy, validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': frozen.namespace } } } },
      },
    });
    await refusing(frozen.namespace, true);

    await createService(world, frozen.id, 'api');
    const refusedAt = await head();
    const refused = await pollUntil(
      async () => {
        const ready = await fluxReady(world.kube, { ...KUSTOMIZATIONS, name: frozen.namespace });
        return ready?.status === 'False' && ready.message.includes('frozen here') ? ready : false;
      },
      { what: `Flux Kustomization ${frozen.namespace} to report the refusal`, timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(refused.message).toContain('Service');

    // Meanwhile: another tenant's change is applied, and a new project gets everything.
    const changed = await changePort(9091);
    await tenantReady(web.namespace, changed);
    expect(portsOf(await service(web.namespace, 'web'))).toEqual(['http:9091']);
    const fresh = await createProject(world, 'meanwhile');
    await tenantReady(fresh.namespace, await head());
    const quotas = await world.core.listNamespacedResourceQuota({ namespace: fresh.namespace });
    const limits = await world.core.listNamespacedLimitRange({ namespace: fresh.namespace });
    expect(quotas.items.length).toBeGreaterThan(0);
    expect(limits.items.length).toBeGreaterThan(0);
    // The refused tenant is still refused, at the commit that added its Service.
    expect((await fluxReady(world.kube, { ...KUSTOMIZATIONS, name: frozen.namespace }))?.status).toBe('False');
    expect(refusedAt).not.toBe(changed);

    // Lift the rule; asked to reconcile (as `flux reconcile kustomization` does), the tenant heals.
    await admission.deleteValidatingAdmissionPolicyBinding({ name: policy });
    await admission.deleteValidatingAdmissionPolicy({ name: policy });
    await refusing(frozen.namespace, false);
    await patchKustomization(frozen.namespace, { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': new Date().toISOString() } } });
    await tenantReady(frozen.namespace);
    expect(portsOf(await service(frozen.namespace, 'api'))).toEqual(['http:8080']);
  });

  it('hands back to the built-in applier: Flux suspended and removed without pruning, the applier takes its fields over, and a port change works', async () => {
    // The handover the README documents: suspend every Kustomization (so deleting one
    // prunes nothing), delete them, stop Flux, start the applier.
    const ours = (await custom().listNamespacedCustomObject({ ...KUSTOMIZATIONS, labelSelector: 'app.kubernetes.io/managed-by=dangus' })) as {
      items: { metadata: { name: string } }[];
    };
    const names = ['dangus-tenants', ...ours.items.map((k) => k.metadata.name)];
    for (const name of names) await patchKustomization(name, { spec: { suspend: true } });
    for (const name of names) await custom().deleteNamespacedCustomObject({ ...KUSTOMIZATIONS, name });
    await pollUntil(
      async () => ((await custom().listNamespacedCustomObject({ ...KUSTOMIZATIONS })) as { items: unknown[] }).items.length === 0,
      { what: 'the Kustomizations to be gone', timeoutMs: 30_000, intervalMs: 200 },
    );
    await flux.stopKustomizeController();
    // Nothing was pruned.
    expect(portsOf(await service(web.namespace, 'web'))).toEqual(['http:9091']);
    expect(managers(await service(web.namespace, 'web'))).toEqual(['kustomize-controller']);

    applier = startApplier();
    const current = await head();
    await pollUntil(() => Promise.resolve(applier?.status().appliedCommit === current), { what: 'the applier to sync', timeoutMs: 60_000, intervalMs: 200 }).catch(
      (error: unknown) => {
        const status = applier?.status();
        throw new Error(`${String(error)}: ${JSON.stringify({ head: current, lastError: status?.lastError, errors: status?.errors, lastSync: status?.lastSync })}`);
      },
    );
    expect(applier.status().errors).toEqual([]);

    const changed = await changePort(9092);
    await pollUntil(() => Promise.resolve(applier?.status().appliedCommit === changed), { what: 'the port change to be applied', timeoutMs: 30_000, intervalMs: 100 });
    const svc = await service(web.namespace, 'web');
    expect(portsOf(svc)).toEqual(['http:9092']);
    // The built-in applier took kustomize-controller's fields (its default --override-manager).
    expect(managers(svc)).toEqual(['dangus-applier']);
    expect(svc.metadata?.labels?.['kustomize.toolkit.fluxcd.io/name']).toBeUndefined();
    const deployment = await world.apps.readNamespacedDeployment({ namespace: web.namespace, name: 'web' });
    expect(deployment.spec?.template.spec?.containers[0]?.ports?.map((p) => p.containerPort)).toEqual([9092]);
    expect(managers(deployment)).toEqual(['dangus-applier']);
  });
});
