// The platform's PostgreSQL as installed (issue 31): the objects `bootstrap/overlays/prod`
// renders for it (namespace, Secret from the template, ServiceAccount, headless Service,
// StatefulSet with its volume from local-path, dangus-system's NetworkPolicies) applied
// unchanged to the k3s-shaped real node, its image `postgres:17.10-bookworm` made locally
// (e2e/cluster/src/postgres-image.ts). A client labelled as the api, a pod in dangus-system
// like the api's, writes a row through the Service's name with the Secret's password; the row
// outlives its pod; and kube-router lets only that client's packets through.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { startCluster, type Cluster } from '../cluster/src/index.js';
import { LOCAL_PATH_CLASS } from '../cluster/src/k3s-node.js';
import { PSQL_IMAGE, importPostgresImages } from '../cluster/src/postgres-image.js';
import { eventually } from '../pipeline/support.js';
import {
  NAMESPACE, POSTGRES_HOST, POSTGRES_POD, apply, podMemory, postgresObjects, readTemplates, reportLines, runToEnd, scriptPod,
  secretFromTemplate, tcpChecks, tenantNamespaceObjects,
} from './platform-postgres-support.js';

const API_LABELS = { 'app.kubernetes.io/name': 'dangus-api' };
const PASSWORD_ENV = [{ name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'dangus-secrets', key: 'POSTGRES_PASSWORD' } } }];
const psql = (sql: string) => `psql -h ${POSTGRES_HOST} -U dangus -d dangus -w -v ON_ERROR_STOP=1 -qAtc "${sql}" 2>&1 | tr '\\n' ' '`;
/** Waits (up to 60 s) until psql gets in: kube-router programs a new pod's ipsets on its add event. */
const WAIT_FOR_PSQL = `i=0; until psql -h ${POSTGRES_HOST} -U dangus -d dangus -w -Atc 'select 1' >/dev/null 2>&1 || [ $i -ge 60 ]; do i=$((i+1)); sleep 1; done; echo "waited: $i"`;

async function readyPod(core: CoreV1Api, notUid?: string): Promise<V1Pod> {
  return eventually(`${POSTGRES_POD} Ready`, async () => {
    const pod = await core.readNamespacedPod({ namespace: NAMESPACE, name: POSTGRES_POD });
    if (notUid !== undefined && pod.metadata?.uid === notUid) return undefined;
    return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? pod : undefined;
  }, 300_000);
}

describe("the platform's PostgreSQL, installed on the real node", () => {
  let cluster: Cluster;
  let core: CoreV1Api;
  let dir: string;
  let password: string;
  const row = `row-${Date.now()}`;
  const figures: Record<string, string> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dangus-pg-install-'));
    cluster = await startCluster({ realNode: true, log: (line) => process.stderr.write(`[real-node] ${line}\n`) });
    const node = cluster.realNode;
    if (!node) throw new Error('the cluster has no real node');
    const kube = new KubeConfig();
    kube.loadFromFile(cluster.kubeconfigPath);
    core = kube.makeApiClient(CoreV1Api);

    const { buildMs, importMs } = await importPostgresImages(node, dir);
    figures['image build'] = `${buildMs} ms (import ${importMs} ms)`;
    const objects = await postgresObjects();
    const made = await secretFromTemplate();
    password = made.password;
    const [namespace, ...rest] = objects;
    const started = Date.now();
    await apply(cluster.kubeconfigPath, dir, 'postgres', [namespace, made.secret, ...rest]);
    await readyPod(core);
    figures['first start (initdb) to Ready'] = `${Date.now() - started} ms`;
  }, 900_000);

  afterAll(async () => {
    process.stderr.write(`[figures] ${JSON.stringify(figures)}\n`);
    await (cluster as Cluster | undefined)?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 180_000);

  it("runs the install's StatefulSet unchanged: Ready through its own probes, on a volume local-path made", async () => {
    const pod = await core.readNamespacedPod({ namespace: NAMESPACE, name: POSTGRES_POD });
    const container = pod.spec?.containers[0];
    expect(container?.image).toBe('postgres:17.10-bookworm');
    expect(container?.readinessProbe?.exec?.command?.[0]).toBe('pg_isready');
    expect(pod.status?.containerStatuses?.[0]).toMatchObject({ ready: true, restartCount: 0 });
    expect(pod.spec?.securityContext).toMatchObject({ runAsUser: 999, runAsNonRoot: true });

    const claim = await core.readNamespacedPersistentVolumeClaim({ namespace: NAMESPACE, name: `data-${POSTGRES_POD}` });
    expect(claim.status?.phase).toBe('Bound');
    expect(claim.spec?.storageClassName).toBe(LOCAL_PATH_CLASS);
    const volume = await core.readPersistentVolume({ name: claim.spec?.volumeName ?? 'none' });
    expect(volume.metadata?.annotations?.['pv.kubernetes.io/provisioned-by']).toBe('rancher.io/local-path');

    const log = await core.readNamespacedPodLog({ namespace: NAMESPACE, name: POSTGRES_POD });
    expect(log).toContain('PostgreSQL init process complete');
    expect(log).toContain('starting PostgreSQL 17.10');
    expect(log).toContain('listening on IPv4 address "0.0.0.0", port 5432');
  });

  it("lets a pod labelled as the api write a row through the Service's name with the Secret's password, and refuses a wrong one", async () => {
    const { phase, log } = await runToEnd(core, NAMESPACE, scriptPod('api-writer', PSQL_IMAGE, [
      WAIT_FOR_PSQL,
      `echo "insert: $(${psql(`CREATE TABLE IF NOT EXISTS kept (v text); INSERT INTO kept VALUES ('${row}') RETURNING v`)})"`,
      `echo "auth: $(${psql('SELECT system_user')})"`,
      `echo "wrong password: $(PGPASSWORD=not-the-password ${psql('SELECT 1')})"`,
      `echo "no password: $(PGPASSWORD= ${psql('SELECT 1')})"`,
      'echo done',
    ].join('\n'), { labels: API_LABELS, env: PASSWORD_ENV }));
    expect(phase).toBe('Succeeded');
    const report = reportLines(log);
    expect(report.insert?.trim()).toBe(row);
    // Authenticated by password (SCRAM), not trusted: PostgreSQL 17 names the method.
    expect(report.auth?.trim()).toBe('scram-sha-256:dangus');
    expect(report['wrong password']).toMatch(/password authentication failed for user "dangus"/);
    expect(report['no password']).toMatch(/password authentication failed|no password supplied/);
    expect(log).not.toContain(password);
  });

  it('keeps the row when its pod is deleted: the StatefulSet makes a new one on the same volume', async () => {
    const before = await core.readNamespacedPod({ namespace: NAMESPACE, name: POSTGRES_POD });
    const claim = await core.readNamespacedPersistentVolumeClaim({ namespace: NAMESPACE, name: `data-${POSTGRES_POD}` });
    const started = Date.now();
    await core.deleteNamespacedPod({ namespace: NAMESPACE, name: POSTGRES_POD });
    const after = await readyPod(core, before.metadata?.uid);
    figures['restart (pod deleted) to Ready'] = `${Date.now() - started} ms`;
    const again = await core.readNamespacedPersistentVolumeClaim({ namespace: NAMESPACE, name: `data-${POSTGRES_POD}` });
    expect(again.spec?.volumeName).toBe(claim.spec?.volumeName);
    expect(after.status?.containerStatuses?.[0]?.restartCount).toBe(0);

    const { phase, log: read } = await runToEnd(core, NAMESPACE, scriptPod('api-reader', PSQL_IMAGE, [
      WAIT_FOR_PSQL,
      `echo "rows: $(${psql('SELECT string_agg(v, \',\') FROM kept')})"`,
      'echo done',
    ].join('\n'), { labels: API_LABELS, env: PASSWORD_ENV }));
    expect(phase).toBe('Succeeded');
    expect(reportLines(read).rows?.trim()).toBe(row);
    // The new pod used the data directory it found.
    const log = await core.readNamespacedPodLog({ namespace: NAMESPACE, name: POSTGRES_POD });
    expect(log).toContain('Skipping initialization');
  }, 600_000);

  it('lets only the admitted pods reach it, as packets: a tenant, a plain namespace and another dangus-system pod are refused', async () => {
    const pod = await readyPod(core);
    const ip = pod.status?.podIP ?? '';
    expect(ip).not.toBe('');
    const node = cluster.realNode;
    if (!node) throw new Error('no real node');
    // Each probe first resolves the Service's name (CoreDNS: the pod's network and DNS work),
    // then tries the pod IP and the name's address.
    const probe = (name: string, labels?: Record<string, string>, waitOpen = false) => scriptPod(name, node.busyboxImage, [
      "resolve() { nslookup \"$1\" 2>/dev/null | sed -n 's/^Address: *//p' | grep -v ':53$' | tail -n 1; }",
      `i=0; until [ -n "$(resolve ${POSTGRES_HOST}.cluster.local)" ] || [ $i -ge 60 ]; do i=$((i+1)); sleep 1; done`,
      `echo "dns: $(resolve ${POSTGRES_HOST}.cluster.local)"`,
      ...(waitOpen ? [`j=0; until nc -w 2 ${ip} 5432 </dev/null >/dev/null 2>&1 || [ $j -ge 60 ]; do j=$((j+1)); sleep 1; done`] : []),
      tcpChecks([['pod ip', ip, 5432], ['service name', `"$(resolve ${POSTGRES_HOST}.cluster.local)"`, 5432]]),
      'echo done',
    ].join('\n'), labels ? { labels } : {});

    const templates = await readTemplates();
    const tenant = tenantNamespaceObjects(templates, 'iso');
    await apply(cluster.kubeconfigPath, dir, 'tenant', tenant.objects);
    await core.createNamespace({ body: { metadata: { name: 'pg-plain' } } });
    const runs = await Promise.all([
      runToEnd(core, NAMESPACE, probe('as-api', API_LABELS, true)),
      runToEnd(core, NAMESPACE, probe('as-applier', { 'app.kubernetes.io/name': 'dangus-applier' })),
      runToEnd(core, tenant.namespace, probe('tenant')),
      runToEnd(core, 'pg-plain', probe('plain')),
    ]);
    const [api, applier, tenantRun, plain] = runs.map((r) => reportLines(r.log));
    for (const report of [api, applier, tenantRun, plain]) expect(report?.dns?.trim()).toBe(ip);
    const closed = expect.stringMatching(/^closed/);
    expect(api).toMatchObject({ 'pod ip': 'open', 'service name': 'open' });
    // Refused by dangus-system's policies alone: the plain namespace has none of its own.
    expect(plain).toMatchObject({ 'pod ip': closed, 'service name': closed });
    expect(tenantRun).toMatchObject({ 'pod ip': closed, 'service name': closed });
    expect(applier).toMatchObject({ 'pod ip': closed, 'service name': closed });

    const memory = await podMemory(pod.metadata?.uid ?? '');
    expect(memory.processes).toBeGreaterThan(1);
    figures['idle memory'] = `RSS ${memory.rssMiB} MiB, PSS ${memory.pssMiB} MiB over ${memory.processes} processes`;
  }, 600_000);
});
