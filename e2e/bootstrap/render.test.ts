// bootstrap/ renders with kubectl's kustomize into what the README promises.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

import { beforeAll, describe, expect, it } from '@jest/globals';

import { find, render, repoRoot, type RenderedObject } from './kustomize.js';

interface Probe { httpGet?: { path: string; port: string } }
interface LabelSelector { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] }

interface PodSpecLike {
  serviceAccountName?: string;
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type?: string } };
  affinity?: { podAntiAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { topologyKey: string; labelSelector: LabelSelector }[] } };
  topologySpreadConstraints?: { topologyKey: string; whenUnsatisfiable: string; labelSelector: LabelSelector }[];
  containers: {
    name: string;
    image: string;
    command?: string[];
    env?: { name: string; value?: string }[];
    readinessProbe?: Probe;
    livenessProbe?: Probe;
    lifecycle?: { preStop?: { sleep?: { seconds: number } } };
    volumeMounts?: { name: string; mountPath: string }[];
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
  }[];
  volumes?: { name: string; emptyDir?: object; persistentVolumeClaim?: { claimName: string } }[];
}

interface WorkloadSpec {
  replicas?: number;
  strategy?: { type: string; rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string } };
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: PodSpecLike };
}

function workload(o: RenderedObject): WorkloadSpec {
  return o.spec as WorkloadSpec;
}

function podSpec(o: RenderedObject): PodSpecLike {
  return workload(o).template.spec;
}

/** Whether a label selector selects these labels (matchLabels, and the In / DoesNotExist expressions used here). */
function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpressions = (selector.matchExpressions ?? []).every((e) => {
    const value = labels[e.key];
    if (e.operator === 'In') return value !== undefined && (e.values ?? []).includes(value);
    if (e.operator === 'DoesNotExist') return !(e.key in labels);
    throw new Error(`the test does not know the operator ${e.operator}`);
  });
  return byLabels && byExpressions;
}

/** The value of one env variable of a workload's first container. */
const envValue = (o: RenderedObject, name: string) => podSpec(o).containers[0]?.env?.find((e) => e.name === name)?.value;

/** The volume mounted at `path` in a workload's first container. */
function volumeAt(o: RenderedObject, path: string) {
  const spec = podSpec(o);
  const mount = spec.containers[0]?.volumeMounts?.find((m) => m.mountPath === path);
  return spec.volumes?.find((v) => v.name === mount?.name);
}

const WORKLOADS: [string, string][] = [
  ['Deployment', 'dangus-api'],
  ['Deployment', 'dangus-controller'],
  ['Deployment', 'dangus-applier'],
  ['StatefulSet', 'dangus-postgres'],
];

describe.each(['prod', 'dev'])('bootstrap/overlays/%s', (overlay) => {
  let objects: RenderedObject[] = [];

  beforeAll(async () => {
    objects = await render(`bootstrap/overlays/${overlay}`);
  });

  it('renders with kubectl kustomize', () => {
    expect(objects.length).toBeGreaterThan(10);
  });

  it('puts every namespaced object of the platform in dangus-system, and no settings ConfigMap', () => {
    const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
    for (const o of objects.filter((x) => !clusterScoped.has(x.kind))) {
      expect(`${o.kind}/${o.metadata.name} in ${String(o.metadata.namespace)}`).toBe(`${o.kind}/${o.metadata.name} in dangus-system`);
    }
    expect(objects.some((o) => o.metadata.name === 'dangus-settings')).toBe(false);
  });

  it.each(WORKLOADS)('runs %s %s non-root, without privilege escalation, with RuntimeDefault seccomp and resource limits', (kind, name) => {
    const spec = podSpec(find(objects, kind, name));
    expect(spec.securityContext?.runAsNonRoot).toBe(true);
    expect(spec.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
    for (const c of spec.containers) {
      expect(c.securityContext?.allowPrivilegeEscalation).toBe(false);
      expect(c.securityContext?.capabilities?.drop).toEqual(['ALL']);
      expect(c.resources?.requests?.cpu).toBeDefined();
      expect(c.resources?.requests?.memory).toBeDefined();
      expect(c.resources?.limits?.memory).toBeDefined();
      // Only the Tilt image writes into /app (live_update).
      expect(c.securityContext?.readOnlyRootFilesystem).toBe(overlay === 'prod' || kind === 'StatefulSet');
    }
  });

  it('runs the api, the controller and the applier from one image, with their commands and roles', () => {
    const api = podSpec(find(objects, 'Deployment', 'dangus-api')).containers[0];
    const controller = podSpec(find(objects, 'Deployment', 'dangus-controller')).containers[0];
    const applier = podSpec(find(objects, 'Deployment', 'dangus-applier')).containers[0];
    expect(api?.image).toBe(applier?.image);
    expect(controller?.image).toBe(applier?.image);
    // dev runs the image's default command (tsc --watch + node --watch api/dist/main.js).
    expect(api?.command).toEqual(overlay === 'prod' ? ['node', 'api/dist/main.js'] : undefined);
    expect(controller?.command).toEqual(api?.command);
    expect(applier?.command).toEqual(['node', 'applier/dist/main.js']);
    expect(envValue(find(objects, 'Deployment', 'dangus-api'), 'DANGUS_ROLE')).toBe('api');
    expect(envValue(find(objects, 'Deployment', 'dangus-controller'), 'DANGUS_ROLE')).toBe('controller');
  });

  it('gives the api and the controller their settings and the probes; the state repo volume to the controller, an emptyDir to the api', () => {
    const config = find(objects, 'ConfigMap', 'dangus-config', true).data as Record<string, string>;
    expect(config.DANGUS_DATA_DIR).toBe('/var/lib/dangus');
    expect(config.STATE_REPO_DIR).toBe('/var/lib/dangus/state-repo');
    expect(config.HOST).toBe('0.0.0.0');
    for (const name of ['dangus-api', 'dangus-controller']) {
      const container = podSpec(find(objects, 'Deployment', name)).containers[0];
      expect(container?.livenessProbe?.httpGet?.path).toBe('/healthz');
      expect(container?.readinessProbe?.httpGet?.path).toBe('/readyz');
    }
    // The api's mirror of the state repo is rebuilt from PostgreSQL: a scratch directory.
    const api = find(objects, 'Deployment', 'dangus-api');
    expect(volumeAt(api, '/var/lib/dangus')?.emptyDir).toBeDefined();
    expect(JSON.stringify(api)).not.toContain('"claimName"');
    // The controller keeps the volume the one-replica api had, at the same path.
    const controller = find(objects, 'Deployment', 'dangus-controller');
    expect(volumeAt(controller, '/var/lib/dangus')?.persistentVolumeClaim?.claimName).toBe('dangus-state');
    expect(find(objects, 'PersistentVolumeClaim', 'dangus-state').metadata.labels?.['app.kubernetes.io/name']).toBe('dangus-controller');
  });

  it('runs two api replicas, rolling without ever going below them, drained before they stop, behind a PodDisruptionBudget', () => {
    const api = find(objects, 'Deployment', 'dangus-api');
    const spec = workload(api);
    expect(spec.replicas).toBe(2);
    expect(spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    const pod = spec.template.spec;
    expect(pod.serviceAccountName).toBe('dangus-api');
    expect(pod.containers[0]?.lifecycle?.preStop?.sleep?.seconds).toBe(5);
    // preStop 5 s, then SHUTDOWN_GRACE_SECONDS (10 s by default) for the requests in flight.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
    const spread = pod.topologySpreadConstraints?.[0];
    expect(spread?.topologyKey).toBe('kubernetes.io/hostname');
    expect(spread?.whenUnsatisfiable).toBe('ScheduleAnyway');
    expect(selects(spread?.labelSelector ?? {}, spec.template.metadata.labels)).toBe(true);
    const pdb = find(objects, 'PodDisruptionBudget', 'dangus-api').spec as { minAvailable: number; selector: LabelSelector };
    expect(pdb.minAvailable).toBe(1);
    expect(selects(pdb.selector, spec.template.metadata.labels)).toBe(true);
    expect(selects(pdb.selector, workload(find(objects, 'Deployment', 'dangus-controller')).template.metadata.labels)).toBe(false);
    // The Service sends requests to the api pods only.
    const service = find(objects, 'Service', 'dangus-api').spec as { selector: Record<string, string> };
    expect(selects({ matchLabels: service.selector }, spec.template.metadata.labels)).toBe(true);
    expect(selects({ matchLabels: service.selector }, workload(find(objects, 'Deployment', 'dangus-controller')).template.metadata.labels)).toBe(false);
  });

  it('runs one controller with the ReadWriteOnce volume, recreated, and never beside the one-replica api of an older install', () => {
    const spec = workload(find(objects, 'Deployment', 'dangus-controller'));
    expect(spec.replicas).toBe(1);
    expect(spec.strategy).toEqual({ type: 'Recreate' });
    expect(spec.template.spec.serviceAccountName).toBe('dangus-controller');
    expect(spec.template.spec.terminationGracePeriodSeconds).toBe(30);
    expect(objects.some((o) => o.kind === 'Service' && o.metadata.name.includes('controller'))).toBe(false);
    const fence = spec.template.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
    expect(fence.map((term) => term.topologyKey)).toEqual(['kubernetes.io/hostname']);
    const selector = fence[0]?.labelSelector ?? {};
    // The api pod of the version before (role "all", writing the state repo): its labels then.
    expect(selects(selector, { 'app.kubernetes.io/name': 'dangus-api' })).toBe(true);
    // Today's api pods and controllers: never.
    expect(selects(selector, workload(find(objects, 'Deployment', 'dangus-api')).template.metadata.labels)).toBe(false);
    expect(selects(selector, spec.template.metadata.labels)).toBe(false);
  });

  it('opens the network paths between the pods that use them, and no Service or way in to the controller', () => {
    const labelsOf = (name: string) => workload(find(objects, name === 'dangus-postgres' ? 'StatefulSet' : 'Deployment', name)).template.metadata.labels;
    interface Peer { podSelector?: LabelSelector; namespaceSelector?: LabelSelector }
    // loadAllYaml gives the client's model, which calls `from` `_from`.
    interface Policy { podSelector: LabelSelector; policyTypes: string[]; ingress?: { _from?: Peer[]; ports?: { port: number }[] }[]; egress?: { to?: Peer[]; ports?: { port: number }[] }[] }
    const policy = (name: string) => find(objects, 'NetworkPolicy', name).spec as Policy;
    const admits = (name: string, from: string, port: number) =>
      (policy(name).ingress ?? []).some((rule) => (rule.ports ?? []).some((p) => p.port === port) && (rule._from ?? []).some((peer) => peer.podSelector !== undefined && !peer.namespaceSelector && selects(peer.podSelector, labelsOf(from))));
    const reaches = (name: string, to: string, port: number) =>
      (policy(name).egress ?? []).some((rule) => (rule.ports ?? []).some((p) => p.port === port) && (rule.to ?? []).some((peer) => peer.podSelector !== undefined && selects(peer.podSelector, labelsOf(to))));
    for (const [name, pod] of [['api', 'dangus-api'], ['controller', 'dangus-controller'], ['applier', 'dangus-applier'], ['postgres', 'dangus-postgres']] as const) {
      expect(selects(policy(name).podSelector, labelsOf(pod))).toBe(true);
    }
    expect(admits('postgres', 'dangus-api', 5432)).toBe(true);
    expect(admits('postgres', 'dangus-controller', 5432)).toBe(true);
    expect(admits('postgres', 'dangus-applier', 5432)).toBe(false);
    expect(reaches('api', 'dangus-postgres', 5432)).toBe(true);
    expect(reaches('controller', 'dangus-postgres', 5432)).toBe(true);
    // The commit pokes: controller → applier; the applier fetches /state.git from the api.
    expect(reaches('controller', 'dangus-applier', 8080)).toBe(true);
    expect(admits('applier', 'dangus-controller', 8080)).toBe(true);
    expect(admits('applier', 'dangus-api', 8080)).toBe(false);
    expect(reaches('applier', 'dangus-api', 3000)).toBe(true);
    expect(admits('api', 'dangus-applier', 3000)).toBe(true);
    // The controller: denied every way in (its probes come from the node's kubelet).
    expect(policy('controller').policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy('controller').ingress ?? []).toEqual([]);
    // Both: HTTPS (GitHub, Harbor) and the Kubernetes API (443, and 6443 on k3s's nodes) anywhere.
    for (const name of ['api', 'controller']) {
      const open = (policy(name).egress ?? []).filter((rule) => rule.to === undefined).flatMap((rule) => (rule.ports ?? []).map((p) => p.port));
      expect(open.sort()).toEqual([443, 6443]);
    }
  });

  it('passes the api and the controller only settings their configuration reads, and the applier only what it uses', async () => {
    interface Env { name: string }
    const containerOf = (name: string) =>
      podSpec(find(objects, 'Deployment', name)).containers[0] as unknown as { env?: Env[]; envFrom?: { configMapRef?: { name: string } }[]; args?: string[] };
    const { envSchema } = await import('@dangus/api/config');
    const read = new Set(Object.keys(envSchema.shape));
    // git reads HOME (git http-backend serving /state.git, the controller's commits, and the applier's fetch).
    const byGit = new Set(['HOME']);

    const config = find(objects, 'ConfigMap', 'dangus-config', true).data as Record<string, string>;
    for (const name of ['dangus-api', 'dangus-controller']) {
      const container = containerOf(name);
      expect(container.envFrom?.map((e) => e.configMapRef?.name.replace(/-[a-z0-9]{10}$/, ''))).toEqual(['dangus-config']);
      const names = [...Object.keys(config), ...(container.env ?? []).map((e) => e.name)];
      expect(names.length).toBeGreaterThan(15);
      expect(names.filter((n) => !read.has(n) && !byGit.has(n))).toEqual([]);
    }
    // Each role gets the secrets it uses: sign-in and /state.git's token to the api, the
    // applier's token to the controller (which pokes it).
    const secretsOf = (name: string) => (containerOf(name).env ?? []).map((e) => e.name);
    expect(secretsOf('dangus-api')).toEqual(expect.arrayContaining(['DATABASE_URL', 'ENCRYPTION_KEY', 'SESSION_SECRET', 'STATE_REPO_TOKEN', 'GITHUB_CLIENT_ID', 'GITHUB_CLIENT_SECRET']));
    expect(secretsOf('dangus-api')).not.toContain('APPLIER_TOKEN');
    expect(secretsOf('dangus-controller')).toEqual(expect.arrayContaining(['DATABASE_URL', 'ENCRYPTION_KEY', 'APPLIER_TOKEN', 'HARBOR_USERNAME', 'HARBOR_ADMIN_USERNAME']));
    expect(secretsOf('dangus-controller')).not.toContain('GITHUB_CLIENT_SECRET');
    expect(secretsOf('dangus-controller')).not.toContain('STATE_REPO_TOKEN');

    const applier = containerOf('dangus-applier');
    const source = await readFile(join(repoRoot, 'applier/src/main.ts'), 'utf8');
    const unused = (applier.env ?? [])
      .map((e) => e.name)
      .filter((name) => !byGit.has(name) && !source.includes(`process.env.${name}`) && !(applier.args ?? []).some((arg) => arg.includes(`$(${name})`)));
    expect(unused).toEqual([]);
  });

  it('carries the platform host of settings.yaml into the Ingress and PUBLIC_URL', () => {
    const ingress = find(objects, 'Ingress', 'dangus').spec as { ingressClassName: string; rules: { host: string }[]; tls: { hosts: string[] }[] };
    const host = ingress.rules[0]?.host ?? '';
    expect(host).toMatch(/^[a-z0-9.-]+$/);
    expect(ingress.tls[0]?.hosts).toEqual([host]);
    expect(ingress.ingressClassName).toBe('traefik');
    expect((find(objects, 'ConfigMap', 'dangus-config', true).data as Record<string, string>).PUBLIC_URL).toBe(`https://${host}`);
  });

  it(overlay === 'prod' ? 'contains no Secret (the operator creates dangus-secrets)' : 'generates throwaway dev secrets', () => {
    const secrets = objects.filter((o) => o.kind === 'Secret');
    expect(secrets).toHaveLength(overlay === 'prod' ? 0 : 1);
  });
});

describe('bootstrap settings and components', () => {
  let dir = '';

  async function overlayWith(settings: { platformHost: string; storageClassName?: string }, components: string[]): Promise<RenderedObject[]> {
    dir = await mkdtemp(join(tmpdir(), 'dangus-bootstrap-'));
    // kustomize loads directories (not files) from outside the kustomization root.
    const base = relative(dir, join(repoRoot, 'bootstrap/base'));
    const comps = components.map((c) => relative(dir, join(repoRoot, 'bootstrap/components', c)));
    await writeFile(
      join(dir, 'kustomization.yaml'),
      JSON.stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', namespace: 'dangus-system', resources: [base, 'settings.yaml'], components: comps }),
    );
    await writeFile(
      join(dir, 'settings.yaml'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'dangus-settings', annotations: { 'config.kubernetes.io/local-config': 'true' } },
        data: settings,
      }),
    );
    try {
      return await render(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('when the host is changed in settings, then the Ingress and PUBLIC_URL follow, and every volume takes the cluster\'s default class', async () => {
    const objects = await overlayWith({ platformHost: 'paas.lab.test' }, ['settings']);
    const sts = find(objects, 'StatefulSet', 'dangus-postgres').spec as { volumeClaimTemplates: { spec: Record<string, unknown> }[] };
    expect(sts.volumeClaimTemplates[0]?.spec).not.toHaveProperty('storageClassName');
    expect(find(objects, 'PersistentVolumeClaim', 'dangus-state').spec).not.toHaveProperty('storageClassName');
    const config = find(objects, 'ConfigMap', 'dangus-config', true).data as Record<string, string>;
    expect(config.PUBLIC_URL).toBe('https://paas.lab.test');
    // Empty: tenants' volumes take the cluster's default class too.
    expect(config.STORAGE_CLASS).toBe('');
    expect(JSON.stringify(find(objects, 'Ingress', 'dangus'))).not.toContain('example.com');
  });

  it('when the storage-class component is added, then every volume, the tenants\' included, takes the class of settings', async () => {
    const objects = await overlayWith({ platformHost: 'paas.lab.test', storageClassName: 'longhorn' }, ['settings', 'storage-class']);
    const sts = find(objects, 'StatefulSet', 'dangus-postgres').spec as { volumeClaimTemplates: { spec: { storageClassName: string } }[] };
    expect(sts.volumeClaimTemplates[0]?.spec.storageClassName).toBe('longhorn');
    expect((find(objects, 'PersistentVolumeClaim', 'dangus-state').spec as { storageClassName: string }).storageClassName).toBe('longhorn');
    expect((find(objects, 'ConfigMap', 'dangus-config', true).data as Record<string, string>).STORAGE_CLASS).toBe('longhorn');
  });

  it('when the external-database component is added, then no PostgreSQL is installed and the api and the controller still read DATABASE_URL and reach port 5432', async () => {
    const objects = await overlayWith({ platformHost: 'paas.lab.test' }, ['settings', 'external-database']);
    expect(objects.filter((o) => o.metadata.name === 'dangus-postgres')).toEqual([]);
    for (const name of ['dangus-api', 'dangus-controller']) {
      expect(JSON.stringify(find(objects, 'Deployment', name))).toContain('"key":"DATABASE_URL"');
    }
    for (const name of ['api', 'controller']) {
      const egress = (find(objects, 'NetworkPolicy', name).spec as { egress: { to?: unknown[]; ports: { port: number }[] }[] }).egress;
      expect(egress).toContainEqual({ ports: [{ protocol: 'TCP', port: 5432 }] });
    }
  });

  it('when the controller-standby component is added, then a second controller runs the same container with an emptyDir for the state repo', async () => {
    const objects = await overlayWith({ platformHost: 'paas.lab.test' }, ['settings', 'controller-standby']);
    const controller = find(objects, 'Deployment', 'dangus-controller');
    const standby = find(objects, 'Deployment', 'dangus-controller-standby');
    const spec = workload(standby);
    expect(spec.replicas).toBe(1);
    expect(spec.template.spec.serviceAccountName).toBe('dangus-controller');
    expect(spec.template.spec.terminationGracePeriodSeconds).toBe(30);
    expect(spec.template.spec.securityContext).toEqual(podSpec(controller).securityContext);
    // Image, command, env (DANGUS_ROLE=controller), probes, limits, mounts: the controller's.
    expect(spec.template.spec.containers).toEqual(podSpec(controller).containers);
    expect(envValue(standby, 'DANGUS_ROLE')).toBe('controller');
    expect(volumeAt(standby, '/var/lib/dangus')?.emptyDir).toBeDefined();
    expect(JSON.stringify(standby)).not.toContain('"claimName"');
    // Two Deployments that do not select each other's pods; one network policy and
    // PostgreSQL's admit both.
    expect(selects(spec.selector, workload(controller).template.metadata.labels)).toBe(false);
    expect(selects(workload(controller).selector, spec.template.metadata.labels)).toBe(false);
    expect(selects((find(objects, 'NetworkPolicy', 'controller').spec as { podSelector: LabelSelector }).podSelector, spec.template.metadata.labels)).toBe(true);
    expect(JSON.stringify(find(objects, 'NetworkPolicy', 'postgres'))).toContain('"app.kubernetes.io/name":"dangus-controller"');
  });
});
