// bootstrap/install.sh against the test control plane (a real kube-apiserver): its checks
// on a bare cluster, a dry run that applies nothing, a run that creates the Secrets and
// the objects and prints the setup URL, a re-run that changes no secret, a PostgreSQL
// profile switch refused, and an uninstall that keeps the data. Readiness is not waited
// for (--no-wait): kwok's simulated nodes run no image (the real-node tier would).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { e2eKubeConfig, e2eKubeconfigPath } from '../cluster/src/index.js';
import { kubeConfigAs } from './kube-as.js';
import { kubectl, kubectlPath, repoRoot } from './kustomize.js';

const run = promisify(execFile);
const NS = 'dangus-system';
const IMAGE = 'registry.example.com/dangus/dangus-api:0.1.0';

async function install(args: string[], kubeconfig = e2eKubeconfigPath()): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('bash', [join(repoRoot, 'bootstrap/install.sh'), ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', KUBECONFIG: kubeconfig, KUBECTL: kubectlPath },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function secretData(name: string): Promise<Record<string, string>> {
  const out = await kubectl(['--kubeconfig', e2eKubeconfigPath(), '-n', NS, 'get', 'secret', name, '-o', 'json']);
  return (JSON.parse(out) as { data: Record<string, string> }).data;
}

const k = (args: string[]) => kubectl(['--kubeconfig', e2eKubeconfigPath(), ...args]);
const exists = async (args: string[]) => (await k(['get', ...args, '--ignore-not-found', '-o', 'name'])).trim() !== '';

describe('bootstrap/install.sh', () => {
  // The control plane is shared with the other bootstrap tests, which apply the platform
  // (server-side) and leave it: start from a cluster without it, as an operator's is.
  const CLUSTER_WIDE = 'clusterrole,clusterrolebinding,validatingadmissionpolicy,validatingadmissionpolicybinding';
  beforeAll(async () => {
    await k(['delete', 'namespace', NS, '--ignore-not-found', '--wait=true', '--timeout=150s']);
    await k(['delete', CLUSTER_WIDE, '-l', 'app.kubernetes.io/part-of=dangus', '--ignore-not-found']);
  }, 180_000);
  afterAll(async () => {
    // Gone before the next test of this control plane applies the platform into it.
    await k(['delete', 'namespace', NS, '--ignore-not-found', '--wait=true', '--timeout=150s']);
    await k(['delete', 'storageclass', 'dangus-test-default', '--ignore-not-found']);
    await k(['delete', 'ingressclass', 'dangus-test-traefik', '--ignore-not-found']);
    // Every cluster-wide object the install made (the other tests apply them server-side).
    await k(['delete', CLUSTER_WIDE, '-l', 'app.kubernetes.io/part-of=dangus', '--ignore-not-found']);
  }, 180_000);

  it('refuses bad input with one line per problem, before touching the cluster', async () => {
    const bad = await install(['--domain', 'Not A Host', '--postgres', 'external']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([
      '--domain: "Not A Host" is not a host name (lowercase labels separated by dots, e.g. apps.example.com)',
      '--database-url: --postgres external needs a postgres:// URL',
      '--image: no published image of the platform exists yet: build api/Dockerfile, push it, and pass --image REF',
    ]);
  });

  it('says what a bare cluster lacks, one line each, and changes nothing', async () => {
    const bare = await install(['--domain', 'apps.example.com', '--image', IMAGE]);
    expect(bare.code).toBe(1);
    expect(bare.stderr.trim().split('\n')).toEqual([
      'no default StorageClass: PostgreSQL, the registry and the state repo need volumes (k3s ships local-path; mark one with storageclass.kubernetes.io/is-default-class=true)',
      'no IngressClass: install an Ingress controller (k3s ships Traefik)',
    ]);
    expect(await exists(['namespace', NS])).toBe(false);
  });

  it('names every permission a kubeconfig without rights lacks', async () => {
    await k(['-n', 'default', 'create', 'serviceaccount', 'installer-nobody']);
    const nobody = await kubeConfigAs(e2eKubeConfig(), 'default', 'installer-nobody');
    const dir = await mkdtemp(join(tmpdir(), 'dangus-install-'));
    try {
      await writeFile(join(dir, 'kubeconfig'), nobody.exportConfig());
      const denied = await install(['--domain', 'apps.example.com', '--image', IMAGE], join(dir, 'kubeconfig'));
      expect(denied.code).toBe(1);
      expect(denied.stderr.trim().split('\n')).toEqual([
        'missing permission: cannot list StorageClasses (kubectl get storageclass)',
        'missing permission: cannot list IngressClasses (kubectl get ingressclass)',
        ...['create namespaces', 'create clusterroles', 'create clusterrolebindings', ...['secrets', 'deployments', 'statefulsets', 'cronjobs', 'networkpolicies', 'ingresses', 'persistentvolumeclaims'].map((r) => `create ${r} -n ${NS}`)].map(
          (check) => `missing permission: kubectl auth can-i ${check} says no`,
        ),
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await k(['-n', 'default', 'delete', 'serviceaccount', 'installer-nobody', '--ignore-not-found']);
    }
  });

  it('dry-runs without changing anything, then installs: Secrets generated, objects applied, a setup URL printed', async () => {
    await run('sh', ['-c', `${kubectlPath} --kubeconfig ${e2eKubeconfigPath()} apply -f - <<'EOF'
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: dangus-test-default
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: rancher.io/local-path
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: dangus-test-traefik
spec:
  controller: traefik.io/ingress-controller
EOF`]);

    const dry = await install(['--domain', 'apps.example.com', '--image', IMAGE, '--dry-run']);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Dry run: nothing is changed. Would apply:');
    for (const object of ['StatefulSet/dangus-postgres', 'Deployment/dangus-api', 'Deployment/dangus-registry', 'CronJob/dangus-postgres-backup', 'CronJob/dangus-registry-gc', 'Secret/dangus-secrets (generating: ']) {
      expect(dry.stdout).toContain(object);
    }
    expect(await exists(['namespace', NS])).toBe(false);

    const registriesDir = await mkdtemp(join(tmpdir(), 'dangus-registries-'));
    const registriesYaml = join(registriesDir, 'registries.yaml');
    const first = await install(['--domain', 'apps.example.com', '--image', IMAGE, '--no-wait', '--registries-yaml', registriesYaml]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    // What k3s's containerd needs to pull from the bundled registry over http: written, and printed.
    const mirror = 'mirrors:\n  "registry.apps.example.com":\n    endpoint:\n      - "http://registry.apps.example.com"\n';
    expect(await readFile(registriesYaml, 'utf8')).toBe(mirror);
    expect(first.stdout).toContain(mirror.trimEnd().split('\n').map((line) => `  ${line}`).join('\n'));
    expect(first.stdout).toContain(`written to ${registriesYaml}: copy it to\n/etc/rancher/k3s/registries.yaml`);
    await rm(registriesDir, { recursive: true, force: true });
    const url = /(http:\/\/dangus\.apps\.example\.com\/setup\?token=([A-Za-z0-9_-]{43}))$/m.exec(first.stdout);
    expect(url).not.toBeNull();
    const token = url?.[2] ?? '';
    // Only the token's hash reaches the cluster; no generated secret is printed.
    const setup = await secretData('dangus-setup');
    expect(Buffer.from(setup.SETUP_TOKEN_SHA256 ?? '', 'base64').toString()).toBe(createHash('sha256').update(token).digest('hex'));
    const secrets = await secretData('dangus-secrets');
    expect(Object.keys(secrets).sort()).toEqual(['APPLIER_TOKEN', 'DATABASE_URL', 'ENCRYPTION_KEY', 'POSTGRES_PASSWORD', 'SESSION_SECRET', 'STATE_REPO_TOKEN']);
    expect(Buffer.from(secrets.ENCRYPTION_KEY ?? '', 'base64').toString()).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    for (const value of Object.values(secrets)) expect(first.stdout).not.toContain(Buffer.from(value, 'base64').toString());
    const password = Buffer.from(secrets.POSTGRES_PASSWORD ?? '', 'base64').toString();
    expect(Buffer.from(secrets.DATABASE_URL ?? '', 'base64').toString()).toBe(`postgres://dangus:${password}@dangus-postgres.${NS}.svc:5432/dangus`);
    for (const object of [['statefulset', 'dangus-postgres'], ['deployment', 'dangus-api'], ['deployment', 'dangus-registry'], ['cronjob', 'dangus-postgres-backup'], ['pvc', 'dangus-registry'], ['networkpolicy', 'registry']]) {
      expect(await exists(['-n', NS, ...object])).toBe(true);
    }
    const config = JSON.parse(await k(['-n', NS, 'get', 'configmap', '-o', 'json'])) as { items: { metadata: { name: string }; data: Record<string, string> }[] };
    const settings = config.items.find((c) => c.metadata.name.startsWith('dangus-config-'))?.data ?? {};
    expect(settings).toEqual(expect.objectContaining({ PUBLIC_URL: 'http://dangus.apps.example.com', BASE_DOMAIN: 'apps.example.com', REGISTRY_MODE: 'bundled', REGISTRY_HOST: 'registry.apps.example.com', INGRESS_CLASS: 'dangus-test-traefik' }));
    const ingresses = JSON.parse(await k(['-n', NS, 'get', 'ingress', '-o', 'json'])) as {
      items: { spec: { ingressClassName: string; rules: { host?: string }[] } }[];
    };
    // The platform's host, the registry's, and the custom domains' check path on every host.
    expect(ingresses.items.map((i) => [i.spec.ingressClassName, i.spec.rules[0]?.host ?? '*']).sort()).toEqual([
      ['dangus-test-traefik', '*'],
      ['dangus-test-traefik', 'dangus.apps.example.com'],
      ['dangus-test-traefik', 'registry.apps.example.com'],
    ]);
    const api = JSON.parse(await k(['-n', NS, 'get', 'deployment', 'dangus-api', '-o', 'json'])) as {
      spec: { template: { spec: { containers: { image: string; env: unknown[]; volumeMounts: unknown[] }[]; volumes: unknown[] } } };
    };
    expect(api.spec.template.spec.containers[0]?.image).toBe(IMAGE);
    // The setup link's Secret is mounted, read at request time: a re-run's link works at once.
    expect(api.spec.template.spec.containers[0]?.env).toContainEqual({ name: 'SETUP_TOKEN_DIR', value: '/etc/dangus-setup' });
    expect(api.spec.template.spec.containers[0]?.volumeMounts).toContainEqual({ name: 'setup', mountPath: '/etc/dangus-setup', readOnly: true });
    expect(api.spec.template.spec.volumes).toContainEqual({ name: 'setup', secret: { secretName: 'dangus-setup', optional: true, defaultMode: 0o440 } });

    // A key the operator added by hand (a Harbor robot, say) is kept by every re-run.
    await k(['-n', NS, 'patch', 'secret', 'dangus-secrets', '--type', 'merge', '-p', JSON.stringify({ stringData: { HARBOR_USERNAME: 'robot$added-by-hand' } })]);
    secrets.HARBOR_USERNAME = Buffer.from('robot$added-by-hand').toString('base64');

    // A re-run upgrades: no secret changes, a new setup link.
    const again = await install(['--domain', 'apps.example.com', '--image', 'registry.example.com/dangus/dangus-api:0.2.0', '--no-wait']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Applying Secrets (generated: none, kept as they were)');
    const newToken = /\/setup\?token=([A-Za-z0-9_-]{43})$/m.exec(again.stdout)?.[1] ?? '';
    expect(newToken).not.toBe(token);
    expect(Buffer.from((await secretData('dangus-setup')).SETUP_TOKEN_SHA256 ?? '', 'base64').toString()).toBe(createHash('sha256').update(newToken).digest('hex'));
    expect(await secretData('dangus-secrets')).toEqual(secrets);
    const upgraded = JSON.parse(await k(['-n', NS, 'get', 'deployment', 'dangus-api', '-o', 'json'])) as typeof api;
    expect(upgraded.spec.template.spec.containers[0]?.image).toBe('registry.example.com/dangus/dangus-api:0.2.0');

    // Switching the PostgreSQL profile is refused without --migrate-postgres, and changes nothing.
    const switched = await install(['--domain', 'apps.example.com', '--image', IMAGE, '--postgres', 'external', '--database-url', 'postgres://u:p@db.example.com/dangus', '--no-wait']);
    expect(switched.code).toBe(1);
    expect(switched.stderr).toContain('--postgres external: this install runs the bundled PostgreSQL; switching needs --migrate-postgres');
    expect(await secretData('dangus-secrets')).toEqual(secrets);

    // Uninstall keeps the data.
    const removed = await install(['--uninstall']);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('Kept: the volumes');
    for (const object of [['deployment', 'dangus-api'], ['deployment', 'dangus-registry'], ['statefulset', 'dangus-postgres'], ['cronjob', 'dangus-postgres-backup'], ['ingress', 'dangus-registry']]) {
      expect(await exists(['-n', NS, ...object])).toBe(false);
    }
    expect(await exists(['-n', NS, 'pvc', 'dangus-postgres-backups'])).toBe(true);
    expect(await exists(['-n', NS, 'pvc', 'dangus-registry'])).toBe(true);
    expect(await secretData('dangus-secrets')).toEqual(secrets);
  });
});
