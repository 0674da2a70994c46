// bootstrap/ renders with kubectl's kustomize into what the README promises.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

import { beforeAll, describe, expect, it } from '@jest/globals';

import { find, render, repoRoot, type RenderedObject } from './kustomize.js';

interface PodSpecLike {
  securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type?: string } };
  containers: {
    name: string;
    image: string;
    command?: string[];
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
  }[];
}

function podSpec(o: RenderedObject): PodSpecLike {
  return (o.spec as { template: { spec: PodSpecLike } }).template.spec;
}

const WORKLOADS: [string, string][] = [
  ['Deployment', 'dangus-api'],
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

  it('runs the api and the applier from one image, with their commands', () => {
    const api = podSpec(find(objects, 'Deployment', 'dangus-api')).containers[0];
    const applier = podSpec(find(objects, 'Deployment', 'dangus-applier')).containers[0];
    expect(api?.image).toBe(applier?.image);
    // dev runs the image's default command (tsc --watch + node --watch api/dist/main.js).
    expect(api?.command).toEqual(overlay === 'prod' ? ['node', 'api/dist/main.js'] : undefined);
    expect(applier?.command).toEqual(['node', 'gitops-writer/dist/applier/main.js']);
  });

  it('gives the api its settings, the state repo volume, and the probes', () => {
    const api = find(objects, 'Deployment', 'dangus-api');
    const config = find(objects, 'ConfigMap', 'dangus-config', true).data as Record<string, string>;
    expect(config.DANGUS_DATA_DIR).toBe('/var/lib/dangus');
    expect(config.STATE_REPO_DIR).toBe('/var/lib/dangus/state-repo');
    expect(config.HOST).toBe('0.0.0.0');
    const container = JSON.stringify(podSpec(api).containers[0]);
    expect(container).toContain('"path":"/healthz"');
    expect(container).toContain('"path":"/readyz"');
    expect(container).toContain('"mountPath":"/var/lib/dangus"');
    expect(JSON.stringify(api)).toContain('"claimName":"dangus-state"');
  });

  it('passes the api only settings its configuration reads, and the applier only what it uses', async () => {
    interface Env { name: string }
    const containerOf = (name: string) =>
      podSpec(find(objects, 'Deployment', name)).containers[0] as unknown as { env?: Env[]; envFrom?: { configMapRef?: { name: string } }[]; args?: string[] };
    const { envSchema } = await import('../../api/src/config/config.js');
    const read = new Set(Object.keys(envSchema.shape));
    // git reads HOME (git http-backend serving /state.git, and the applier's fetch).
    const byGit = new Set(['HOME']);

    const api = containerOf('dangus-api');
    const config = find(objects, 'ConfigMap', 'dangus-config', true).data as Record<string, string>;
    expect(api.envFrom?.map((e) => e.configMapRef?.name.replace(/-[a-z0-9]{10}$/, ''))).toEqual(['dangus-config']);
    const apiNames = [...Object.keys(config), ...(api.env ?? []).map((e) => e.name)];
    expect(apiNames.length).toBeGreaterThan(15);
    expect(apiNames.filter((name) => !read.has(name) && !byGit.has(name))).toEqual([]);

    const applier = containerOf('dangus-applier');
    const source = await readFile(join(repoRoot, 'gitops-writer/src/applier/main.ts'), 'utf8');
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

  async function overlayWith(settings: { platformHost: string; storageClassName: string }, components: string[]): Promise<RenderedObject[]> {
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

  it('when the storage class and host are changed in settings, then every volume, the Ingress and PUBLIC_URL follow', async () => {
    const objects = await overlayWith({ platformHost: 'paas.lab.test', storageClassName: 'local-path' }, ['settings']);
    const sts = find(objects, 'StatefulSet', 'dangus-postgres').spec as { volumeClaimTemplates: { spec: { storageClassName: string } }[] };
    expect(sts.volumeClaimTemplates[0]?.spec.storageClassName).toBe('local-path');
    expect((find(objects, 'PersistentVolumeClaim', 'dangus-state').spec as { storageClassName: string }).storageClassName).toBe('local-path');
    const config = find(objects, 'ConfigMap', 'dangus-config', true).data as Record<string, string>;
    expect(config.PUBLIC_URL).toBe('https://paas.lab.test');
    expect(config.STORAGE_CLASS).toBe('local-path');
    expect(JSON.stringify(find(objects, 'Ingress', 'dangus'))).not.toContain('example.com');
  });

  it('when the external-database component is added, then no PostgreSQL is installed and the api still reads DATABASE_URL', async () => {
    const objects = await overlayWith({ platformHost: 'paas.lab.test', storageClassName: 'longhorn' }, ['settings', 'external-database']);
    expect(objects.filter((o) => o.metadata.name === 'dangus-postgres')).toEqual([]);
    expect(JSON.stringify(find(objects, 'Deployment', 'dangus-api'))).toContain('"key":"DATABASE_URL"');
  });
});
