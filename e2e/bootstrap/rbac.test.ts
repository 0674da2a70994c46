// bootstrap/ installed into the real control plane, then the api's, the controller's
// and the applier's ServiceAccounts, with real tokens, doing (or failed at) their jobs.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, NetworkingV1Api, Watch } from '@kubernetes/client-node';

import { MARKER_LOG, e2eClusterKind, e2eKubeConfig, e2eKubeconfigPath } from '../cluster/src/index.js';
import { pollUntil } from '../cluster/src/util.js';
import { type Access, canI, kubeConfigAs, statusOf } from './kube-as.js';
import { kubectl, repoRoot } from './kustomize.js';

const SYSTEM = 'dangus-system';
const TENANT = `bs${Date.now().toString(36)}-shop`;
const MANAGED = { 'app.kubernetes.io/managed-by': 'dangus' };
const WAIT = { timeoutMs: 120_000, intervalMs: 500 };

const admin = e2eKubeConfig();
let api: KubeConfig;
let controller: KubeConfig;
let applier: KubeConfig;

/** kubectl against the cluster under test, as its admin. */
function kubectlAdmin(args: string[]): Promise<string> {
  return kubectl([...args, '--kubeconfig', e2eKubeconfigPath()]);
}

beforeAll(async () => {
  await kubectlAdmin(['apply', '--server-side', '--field-manager=dangus-bootstrap-test', '-k', 'bootstrap/overlays/prod']);
  // The token controller and the admission policies' type checking are asynchronous.
  for (const name of ['dangus-api', 'dangus-controller', 'dangus-applier']) {
    await pollUntil(async () => (await statusOf(admin.makeApiClient(CoreV1Api).readNamespacedServiceAccount({ name, namespace: SYSTEM }))) === 200, { ...WAIT, what: `the ServiceAccount ${name}` });
  }
  api = await kubeConfigAs(admin, SYSTEM, 'dangus-api');
  controller = await kubeConfigAs(admin, SYSTEM, 'dangus-controller');
  applier = await kubeConfigAs(admin, SYSTEM, 'dangus-applier');
});

afterAll(async () => {
  await statusOf(admin.makeApiClient(CoreV1Api).deleteNamespace({ name: TENANT }));
});

describe('installing bootstrap/', () => {
  it('when prod is applied server-side, then its workloads and policies exist', async () => {
    const deployments = await admin.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: SYSTEM });
    expect(deployments.items.map((d) => d.metadata?.name).sort()).toEqual(['dangus-api', 'dangus-applier', 'dangus-controller']);
    const out = await kubectlAdmin(['get', 'validatingadmissionpolicies', '-o', 'name']);
    expect(out).toContain('dangus-api-tenant-secrets');
    expect(out).toContain('dangus-applier-tenants-only');
    // The Secret fence now holds the controller, the one that writes them.
    expect(await kubectlAdmin(['get', 'validatingadmissionpolicy', 'dangus-api-tenant-secrets', '-o', 'jsonpath={.spec.matchConditions[*].expression}'])).toBe(
      "request.userInfo.username == 'system:serviceaccount:dangus-system:dangus-controller'",
    );
    expect(await kubectlAdmin(['-n', SYSTEM, 'get', 'poddisruptionbudget', 'dangus-api', '-o', 'jsonpath={.spec.minAvailable}'])).toBe('1');
  });

  it('denies every path in dangus-system but those the platform uses', async () => {
    const policies = (await admin.makeApiClient(NetworkingV1Api).listNamespacedNetworkPolicy({ namespace: SYSTEM })).items;
    const byName = new Map(policies.map((p) => [p.metadata?.name, p.spec]));
    expect([...byName.keys()].sort()).toEqual(['api', 'applier', 'controller', 'default-deny', 'dns', 'postgres']);
    expect(byName.get('default-deny')).toEqual(expect.objectContaining({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] }));
    // PostgreSQL admits the api and the controller; the api admits the ingress controller's
    // namespace and the applier; the applier admits the controller (its pokes); the
    // controller admits nobody. (The client's model calls `from` `_from`.)
    expect(byName.get('postgres')?.ingress).toEqual([
      {
        _from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'dangus-api' } } }, { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'dangus-controller' } } }],
        ports: [{ protocol: 'TCP', port: 5432 }],
      },
    ]);
    expect(byName.get('api')?.ingress?.[0]?._from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } },
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'dangus-applier' } } },
    ]);
    expect(byName.get('applier')?.ingress?.[0]?._from).toEqual([{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'dangus-controller' } } }]);
    expect(byName.get('controller')).toEqual(expect.objectContaining({ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'dangus-controller' } }, policyTypes: ['Ingress', 'Egress'] }));
    expect(byName.get('controller')?.ingress ?? []).toEqual([]);
  });

  it('when dev is applied with a server-side dry run over it, then the apiserver accepts every object', async () => {
    const out = await kubectlAdmin(['apply', '--server-side', '--dry-run=server', '--field-manager=dangus-bootstrap-test', '-k', 'bootstrap/overlays/dev']);
    expect(out).toContain('deployment.apps/dangus-api serverside-applied (server dry run)');
    expect(out).toContain('deployment.apps/dangus-controller serverside-applied (server dry run)');
  });

  it('when prod with the controller-standby component is applied with a server-side dry run, then the apiserver accepts the standby', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dangus-standby-'));
    try {
      // kustomize loads directories (not files) from outside the kustomization root.
      const path = (p: string) => relative(dir, join(repoRoot, p));
      await writeFile(
        join(dir, 'kustomization.yaml'),
        JSON.stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [path('bootstrap/overlays/prod')], components: [path('bootstrap/components/controller-standby')] }),
      );
      const out = await kubectlAdmin(['apply', '--server-side', '--dry-run=server', '--field-manager=dangus-bootstrap-test', '-k', dir]);
      expect(out).toContain('deployment.apps/dangus-controller-standby serverside-applied (server dry run)');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// What the authorizer answers (RBAC only; the admission policies are tested by doing below).
// The api reads, for a service's owner, and writes nothing in the cluster.
const apiTable: [string, Access, boolean][] = [
  ['list pods in a tenant namespace', { verb: 'list', resource: 'pods', namespace: TENANT }, true],
  ['watch pods', { verb: 'watch', resource: 'pods' }, true],
  ['get pods/log', { verb: 'get', resource: 'pods', subresource: 'log', namespace: TENANT }, true],
  ['list events in a tenant namespace', { verb: 'list', resource: 'events', namespace: TENANT }, true],
  ['get resourcequotas in a tenant namespace', { verb: 'get', resource: 'resourcequotas', namespace: TENANT }, true],
  ['list pod metrics cluster-wide', { verb: 'list', resource: 'pods', group: 'metrics.k8s.io' }, true],
  ['create secrets in a tenant namespace', { verb: 'create', resource: 'secrets', namespace: TENANT }, false],
  ['update secrets in a tenant namespace', { verb: 'update', resource: 'secrets', namespace: TENANT }, false],
  ['patch secrets in a tenant namespace', { verb: 'patch', resource: 'secrets', namespace: TENANT }, false],
  ['delete secrets in a tenant namespace', { verb: 'delete', resource: 'secrets', namespace: TENANT }, false],
  ['get secrets in a tenant namespace', { verb: 'get', resource: 'secrets', namespace: TENANT }, false],
  ['list secrets in kube-system', { verb: 'list', resource: 'secrets', namespace: 'kube-system' }, false],
  ['create jobs in a tenant namespace', { verb: 'create', resource: 'jobs', group: 'batch', namespace: TENANT }, false],
  ['watch jobs', { verb: 'watch', resource: 'jobs', group: 'batch' }, false],
  ['watch deployments', { verb: 'watch', resource: 'deployments', group: 'apps' }, false],
  ['create deployments', { verb: 'create', resource: 'deployments', group: 'apps', namespace: TENANT }, false],
  ['patch resourcequotas in a tenant namespace', { verb: 'patch', resource: 'resourcequotas', namespace: TENANT }, false],
  ['create events', { verb: 'create', resource: 'events', namespace: TENANT }, false],
  ['list node metrics', { verb: 'list', resource: 'nodes', group: 'metrics.k8s.io' }, false],
  ['delete pods', { verb: 'delete', resource: 'pods', namespace: TENANT }, false],
  ['create pods/exec', { verb: 'create', resource: 'pods', subresource: 'exec', namespace: TENANT }, false],
  ['create clusterrolebindings', { verb: 'create', resource: 'clusterrolebindings', group: 'rbac.authorization.k8s.io' }, false],
  ['create rolebindings', { verb: 'create', resource: 'rolebindings', group: 'rbac.authorization.k8s.io', namespace: TENANT }, false],
  ['get nodes', { verb: 'get', resource: 'nodes' }, false],
  ['create namespaces', { verb: 'create', resource: 'namespaces' }, false],
];

// The controller: the pipeline's rights, what the one-replica api had for it.
const controllerTable: [string, Access, boolean][] = [
  ['create secrets in a tenant namespace', { verb: 'create', resource: 'secrets', namespace: TENANT }, true],
  ['patch secrets in a tenant namespace', { verb: 'patch', resource: 'secrets', namespace: TENANT }, true],
  ['delete secrets in a tenant namespace', { verb: 'delete', resource: 'secrets', namespace: TENANT }, true],
  ['watch jobs', { verb: 'watch', resource: 'jobs', group: 'batch' }, true],
  ['watch pods', { verb: 'watch', resource: 'pods' }, true],
  ['watch deployments', { verb: 'watch', resource: 'deployments', group: 'apps' }, true],
  ['get pods/log', { verb: 'get', resource: 'pods', subresource: 'log', namespace: TENANT }, true],
  ['list events in a tenant namespace', { verb: 'list', resource: 'events', namespace: TENANT }, true],
  ['get secrets in kube-system', { verb: 'get', resource: 'secrets', namespace: 'kube-system' }, false],
  ['list secrets in kube-system', { verb: 'list', resource: 'secrets', namespace: 'kube-system' }, false],
  ['get secrets in a tenant namespace', { verb: 'get', resource: 'secrets', namespace: TENANT }, false],
  // The leader election is a PostgreSQL lock: no Lease.
  ['create leases in dangus-system', { verb: 'create', resource: 'leases', group: 'coordination.k8s.io', namespace: SYSTEM }, false],
  ['update leases in dangus-system', { verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: SYSTEM }, false],
  // Build Jobs and workloads are the applier's to create.
  ['create jobs in a tenant namespace', { verb: 'create', resource: 'jobs', group: 'batch', namespace: TENANT }, false],
  ['create deployments', { verb: 'create', resource: 'deployments', group: 'apps', namespace: TENANT }, false],
  ['create namespaces', { verb: 'create', resource: 'namespaces' }, false],
  ['create events', { verb: 'create', resource: 'events', namespace: TENANT }, false],
  ['create pods/exec', { verb: 'create', resource: 'pods', subresource: 'exec', namespace: TENANT }, false],
  ['create serviceaccounts/token', { verb: 'create', resource: 'serviceaccounts', subresource: 'token', namespace: TENANT }, false],
  ['create clusterrolebindings', { verb: 'create', resource: 'clusterrolebindings', group: 'rbac.authorization.k8s.io' }, false],
  ['create rolebindings', { verb: 'create', resource: 'rolebindings', group: 'rbac.authorization.k8s.io', namespace: TENANT }, false],
  // The nodes' addresses, denied to tenants: read, never changed.
  ['list nodes', { verb: 'list', resource: 'nodes' }, true],
  ['watch nodes', { verb: 'watch', resource: 'nodes' }, true],
  ['get nodes', { verb: 'get', resource: 'nodes' }, false],
  ['patch nodes', { verb: 'patch', resource: 'nodes' }, false],
];

const applierTable: [string, Access, boolean][] = [
  ['create namespaces', { verb: 'create', resource: 'namespaces' }, true],
  ['delete namespaces', { verb: 'delete', resource: 'namespaces' }, true],
  ...(
    [
      ['deployments', 'apps'],
      ['jobs', 'batch'],
      ['ingresses', 'networking.k8s.io'],
      ['networkpolicies', 'networking.k8s.io'],
      ['services', ''],
      ['persistentvolumeclaims', ''],
      ['limitranges', ''],
      ['resourcequotas', ''],
    ] as const
  ).flatMap(([resource, group]): [string, Access, boolean][] => [
    [`patch ${resource} in a tenant namespace`, { verb: 'patch', resource, group, namespace: TENANT }, true],
    [`delete ${resource} in a tenant namespace`, { verb: 'delete', resource, group, namespace: TENANT }, true],
  ]),
  ['update its inventory ConfigMap', { verb: 'update', resource: 'configmaps', namespace: SYSTEM, name: 'dangus-applier-inventory' }, true],
  ['update a part of its inventory', { verb: 'update', resource: 'configmaps', namespace: SYSTEM, name: 'dangus-applier-inventory-3' }, true],
  // RBAC cannot name a prefix: the admission policy refuses this write (the jobs below).
  ['update another ConfigMap in dangus-system, as far as RBAC goes', { verb: 'update', resource: 'configmaps', namespace: SYSTEM, name: 'dangus-config' }, true],
  ['update a ConfigMap in another namespace', { verb: 'update', resource: 'configmaps', namespace: 'kube-system', name: 'dangus-applier-inventory' }, false],
  ['get secrets in kube-system', { verb: 'get', resource: 'secrets', namespace: 'kube-system' }, false],
  ['create secrets in a tenant namespace', { verb: 'create', resource: 'secrets', namespace: TENANT }, false],
  ['escalate clusterroles', { verb: 'escalate', resource: 'clusterroles', group: 'rbac.authorization.k8s.io' }, false],
  ['bind clusterroles', { verb: 'bind', resource: 'clusterroles', group: 'rbac.authorization.k8s.io' }, false],
  ['create rolebindings', { verb: 'create', resource: 'rolebindings', group: 'rbac.authorization.k8s.io', namespace: TENANT }, false],
  ['create roles', { verb: 'create', resource: 'roles', group: 'rbac.authorization.k8s.io', namespace: TENANT }, false],
  ['get nodes', { verb: 'get', resource: 'nodes' }, false],
  ['delete nodes', { verb: 'delete', resource: 'nodes' }, false],
  ['create pods', { verb: 'create', resource: 'pods', namespace: TENANT }, false],
  ['create serviceaccounts/token', { verb: 'create', resource: 'serviceaccounts', subresource: 'token', namespace: TENANT }, false],
];

describe('the api ServiceAccount (dangus-system/dangus-api)', () => {
  it.each(apiTable)('may %s: %p', async (_what, access, allowed) => {
    expect(await canI(api, access)).toBe(allowed);
  });
});

describe('the controller ServiceAccount (dangus-system/dangus-controller)', () => {
  it.each(controllerTable)('may %s: %p', async (_what, access, allowed) => {
    expect(await canI(controller, access)).toBe(allowed);
  });
});

describe('the applier ServiceAccount (dangus-system/dangus-applier)', () => {
  it.each(applierTable)('may %s: %p', async (_what, access, allowed) => {
    expect(await canI(applier, access)).toBe(allowed);
  });
});

describe('their jobs, done with their own tokens', () => {
  const JOB = 'build-abc1234';

  it('the applier creates a tenant namespace and its workloads', async () => {
    const core = applier.makeApiClient(CoreV1Api);
    const apps = applier.makeApiClient(AppsV1Api);
    const batch = applier.makeApiClient(BatchV1Api);
    const net = applier.makeApiClient(NetworkingV1Api);
    const namespace = TENANT;
    expect(await statusOf(core.createNamespace({ body: { metadata: { name: namespace, labels: MANAGED } } }))).toBe(200);
    const labels = { ...MANAGED, 'dangus.cloud/service': 'web' };
    const created = await Promise.all([
      statusOf(core.createNamespacedLimitRange({ namespace, body: { metadata: { name: 'default-limits', labels }, spec: { limits: [{ type: 'Container', _default: { cpu: '500m', memory: '512Mi' } }] } } })),
      statusOf(core.createNamespacedResourceQuota({ namespace, body: { metadata: { name: 'quota', labels }, spec: { hard: { pods: '20' } } } })),
      statusOf(net.createNamespacedNetworkPolicy({ namespace, body: { metadata: { name: 'isolate', labels }, spec: { podSelector: {}, policyTypes: ['Ingress'] } } })),
      statusOf(core.createNamespacedPersistentVolumeClaim({ namespace, body: { metadata: { name: 'web-data', labels }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } })),
      statusOf(core.createNamespacedService({ namespace, body: { metadata: { name: 'web', labels }, spec: { selector: { 'dangus.cloud/service': 'web' }, ports: [{ port: 80, targetPort: 8080 }] } } })),
      statusOf(net.createNamespacedIngress({ namespace, body: { metadata: { name: 'web', labels }, spec: { rules: [{ host: 'abc123-web.apps.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] } } })),
      statusOf(apps.createNamespacedDeployment({ namespace, body: { metadata: { name: 'web', labels }, spec: { selector: { matchLabels: { 'dangus.cloud/service': 'web' } }, template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'harbor.example.com/dangus/web:1' }] } } } } })),
      statusOf(batch.createNamespacedJob({ namespace, body: { metadata: { name: JOB, labels }, spec: { backoffLimit: 0, template: { metadata: { labels, annotations: { [MARKER_LOG]: 'step 1/2 : FROM node\nbuild ok' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'kaniko', image: 'gcr.io/kaniko-project/executor:v1.23.2', command: ['sh', '-c', 'printf "step 1/2 : FROM node\\nbuild ok\\n"'] }] } } } } })),
    ]);
    expect(created).toEqual(Array<number>(created.length).fill(200));
  });

  it('the applier writes its inventory ConfigMap in dangus-system, and no other', async () => {
    // The run's one cluster may already hold an inventory written by another test's applier.
    await statusOf(admin.makeApiClient(CoreV1Api).deleteNamespacedConfigMap({ name: 'dangus-applier-inventory', namespace: SYSTEM }));
    const core = applier.makeApiClient(CoreV1Api);
    expect(await statusOf(core.createNamespacedConfigMap({ namespace: SYSTEM, body: { metadata: { name: 'dangus-applier-inventory' }, data: { entries: '[]' } } }))).toBe(200);
    // A large inventory is split in parts (about 128 KB each): those are its too.
    const part = 'dangus-applier-inventory-1';
    await statusOf(admin.makeApiClient(CoreV1Api).deleteNamespacedConfigMap({ name: part, namespace: SYSTEM }));
    expect(await statusOf(core.createNamespacedConfigMap({ namespace: SYSTEM, body: { metadata: { name: part }, data: { entries: '[]' } } }))).toBe(200);
    expect(await statusOf(core.patchNamespacedConfigMap({ name: part, namespace: SYSTEM, body: [{ op: 'replace', path: '/data/entries', value: '[1]' }] }))).toBe(200);
    expect(await statusOf(core.deleteNamespacedConfigMap({ name: part, namespace: SYSTEM }))).toBe(200);
    expect(await statusOf(core.createNamespacedConfigMap({ namespace: SYSTEM, body: { metadata: { name: 'dangus-other' } } }))).toBe(403);
    expect(await statusOf(core.createNamespacedConfigMap({ namespace: SYSTEM, body: { metadata: { name: 'dangus-applier-inventory-x' } } }))).toBe(403);
    // Not the platform's settings either.
    const settings = (await admin.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: SYSTEM })).items.find((c) => c.metadata?.name?.startsWith('dangus-config'));
    expect(settings).toBeDefined();
    expect(await statusOf(core.patchNamespacedConfigMap({ name: settings?.metadata?.name ?? '', namespace: SYSTEM, body: [{ op: 'add', path: '/data/APPLIER', value: 'builtin' }] }))).toBe(403);
  });

  it.each([
    ['a namespace without the tenant label', (c: CoreV1Api) => c.createNamespace({ body: { metadata: { name: `${TENANT}-x` } } })],
    ['kube-system, relabelled as a tenant', (c: CoreV1Api) => c.patchNamespace({ name: 'kube-system', body: [{ op: 'add', path: '/metadata/labels/app.kubernetes.io~1managed-by', value: 'dangus' }] })],
    ['the default namespace, deleted', (c: CoreV1Api) => c.deleteNamespace({ name: 'default' })],
    ['a Service in kube-system', (c: CoreV1Api) => c.createNamespacedService({ namespace: 'kube-system', body: { metadata: { name: 'dangus-x' }, spec: { ports: [{ port: 80 }] } } })],
  ])('the applier is refused %s', async (_what, call) => {
    expect(await statusOf(call(applier.makeApiClient(CoreV1Api)))).toBe(403);
  });

  it('the applier is refused a Deployment in kube-system (it would run as any ServiceAccount there)', async () => {
    const body = { metadata: { name: 'dangus-x' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { serviceAccountName: 'generic-garbage-collector', containers: [{ name: 'x', image: 'busybox:1.36' }] } } } };
    expect(await statusOf(applier.makeApiClient(AppsV1Api).createNamespacedDeployment({ namespace: 'kube-system', body }))).toBe(403);
  });

  it('the controller writes, rewrites and removes the env Secret in the tenant namespace', async () => {
    const core = controller.makeApiClient(CoreV1Api);
    const namespace = TENANT;
    const body = { metadata: { name: 'web-env', labels: MANAGED }, type: 'Opaque', stringData: { GREETING: 'hello' } };
    expect(await statusOf(core.createNamespacedSecret({ namespace, body }))).toBe(200);
    expect(await statusOf(core.replaceNamespacedSecret({ name: 'web-env', namespace, body: { ...body, stringData: { GREETING: 'bonjour' } } }))).toBe(200);
    const stored = await admin.makeApiClient(CoreV1Api).readNamespacedSecret({ name: 'web-env', namespace });
    expect(Buffer.from(stored.data?.GREETING ?? '', 'base64').toString()).toBe('bonjour');
    // It never reads a Secret back: the values live encrypted in PostgreSQL.
    expect(await statusOf(core.readNamespacedSecret({ name: 'web-env', namespace }))).toBe(403);
    expect(await statusOf(core.deleteNamespacedSecret({ name: 'web-env', namespace }))).toBe(200);
  });

  it.each([
    ['in kube-system', 'kube-system', 'Opaque'],
    ['in dangus-system', SYSTEM, 'Opaque'],
    ['in default', 'default', 'Opaque'],
    ['of type service-account-token in a tenant namespace', TENANT, 'kubernetes.io/service-account-token'],
  ])('the controller is refused a Secret %s', async (_what, namespace, type) => {
    const body = { metadata: { name: 'dangus-x', annotations: { 'kubernetes.io/service-account.name': 'default' } }, type, stringData: { a: 'b' } };
    expect(await statusOf(controller.makeApiClient(CoreV1Api).createNamespacedSecret({ namespace, body }))).toBe(403);
  });

  it('the controller is refused deleting a Secret outside tenant namespaces', async () => {
    await statusOf(admin.makeApiClient(CoreV1Api).createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'dangus-keep' }, stringData: { a: 'b' } } }));
    expect(await statusOf(controller.makeApiClient(CoreV1Api).deleteNamespacedSecret({ name: 'dangus-keep', namespace: 'default' }))).toBe(403);
    expect(await statusOf(admin.makeApiClient(CoreV1Api).readNamespacedSecret({ name: 'dangus-keep', namespace: 'default' }))).toBe(200);
  });

  it('the api is refused every Secret write and any Job, even in the tenant namespace', async () => {
    const core = api.makeApiClient(CoreV1Api);
    const namespace = TENANT;
    const body = { metadata: { name: 'web-env', labels: MANAGED }, type: 'Opaque', stringData: { GREETING: 'hello' } };
    expect(await statusOf(core.createNamespacedSecret({ namespace, body }))).toBe(403);
    await admin.makeApiClient(CoreV1Api).createNamespacedSecret({ namespace, body });
    expect(await statusOf(core.patchNamespacedSecret({ name: 'web-env', namespace, body: [{ op: 'replace', path: '/metadata/labels', value: {} }] }))).toBe(403);
    expect(await statusOf(core.replaceNamespacedSecret({ name: 'web-env', namespace, body }))).toBe(403);
    expect(await statusOf(core.deleteNamespacedSecret({ name: 'web-env', namespace }))).toBe(403);
    expect(await statusOf(core.readNamespacedSecret({ name: 'web-env', namespace }))).toBe(403);
    await admin.makeApiClient(CoreV1Api).deleteNamespacedSecret({ name: 'web-env', namespace });
    const job = { metadata: { name: 'dangus-x' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'x', image: 'busybox:1.36' }] } } } };
    expect(await statusOf(api.makeApiClient(BatchV1Api).createNamespacedJob({ namespace, body: job }))).toBe(403);
  });

  it('the controller watches the build Job and reads its pod log', async () => {
    const seen: string[] = [];
    const watch = await new Watch(controller).watch(
      `/apis/batch/v1/namespaces/${TENANT}/jobs`,
      { labelSelector: 'app.kubernetes.io/managed-by=dangus' },
      (phase: string, job: { metadata?: { name?: string } }) => seen.push(`${phase} ${job.metadata?.name ?? ''}`),
      () => undefined,
    );
    try {
      await pollUntil(() => Promise.resolve(seen.includes(`ADDED ${JOB}`)), { ...WAIT, what: 'the build Job seen by the controller watch' });
    } finally {
      watch.abort();
    }
    const core = controller.makeApiClient(CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace: TENANT, labelSelector: `batch.kubernetes.io/job-name=${JOB}` });
    const pod = pods.items[0]?.metadata?.name ?? '';
    expect(pod).not.toBe('');
    let log = '';
    await pollUntil(async () => {
      log = await core.readNamespacedPodLog({ name: pod, namespace: TENANT }).catch(() => '');
      return log.includes('build ok');
    }, { ...WAIT, what: 'the build log' });
    expect(log).toBe(e2eClusterKind() === 'kwok' ? 'step 1/2 : FROM node\nbuild ok\n' : expect.stringContaining('build ok'));
  });

  it("the api reads what a service's owner looks at: its pods and their logs, its Events, the project's quota", async () => {
    const core = api.makeApiClient(CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace: TENANT, labelSelector: `batch.kubernetes.io/job-name=${JOB}` });
    const pod = pods.items[0]?.metadata?.name ?? '';
    expect(pod).not.toBe('');
    expect(await core.readNamespacedPodLog({ name: pod, namespace: TENANT })).toContain('build ok');
    expect(await statusOf(core.listNamespacedEvent({ namespace: TENANT }))).toBe(200);
    const quota = await core.readNamespacedResourceQuota({ name: 'quota', namespace: TENANT });
    expect(quota.spec?.hard?.pods).toBe('20');
    // Reading only.
    expect(await statusOf(core.deleteNamespacedPod({ name: pod, namespace: TENANT }))).toBe(403);
  });

  it('the applier prunes: deletes the finished Job and, with the project, the namespace', async () => {
    expect(await statusOf(applier.makeApiClient(BatchV1Api).deleteNamespacedJob({ name: JOB, namespace: TENANT, propagationPolicy: 'Background' }))).toBe(200);
    expect(await statusOf(applier.makeApiClient(CoreV1Api).deleteNamespace({ name: TENANT }))).toBe(200);
  });
});
