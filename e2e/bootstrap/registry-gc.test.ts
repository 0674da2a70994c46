// The bundled registry's garbage collection runs with the registry read-only (distribution's
// storage.maintenance.readonly): the rendered CronJob switches it on and waits for the
// rollout before collecting, and a sidecar's preStop hook switches it off however the pod
// ends; its account may touch only the registry's Deployment, checked against the real
// Kubernetes API (the Role applied into a namespace of the test's own).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { e2eKubeconfigPath } from '../cluster/src/index.js';
import { find, kubectl, render, repoRoot, type RenderedObject } from './kustomize.js';

interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  restartPolicy?: string;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
}

describe('the bundled registry\'s garbage collection', () => {
  let objects: RenderedObject[] = [];
  let dir = '';
  const ns = `registry-gc-${randomBytes(3).toString('hex')}`;
  const k = (args: string[]) => kubectl(['--kubeconfig', e2eKubeconfigPath(), ...args]);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dangus-registry-gc-'));
    const rel = (path: string) => relative(dir, join(repoRoot, path));
    await writeFile(
      join(dir, 'kustomization.yaml'),
      JSON.stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        namespace: 'dangus-system',
        resources: [rel('bootstrap/base'), 'settings.yaml'],
        components: [rel('bootstrap/components/settings'), rel('bootstrap/components/bundled-registry')],
      }),
    );
    await writeFile(
      join(dir, 'settings.yaml'),
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dangus-settings', annotations: { 'config.kubernetes.io/local-config': 'true' } }, data: { platformHost: 'paas.lab.test' } }),
    );
    objects = await render(dir);
  });
  afterAll(async () => {
    await k(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
    await rm(dir, { recursive: true, force: true });
  });

  it('collects only while the registry is read-only, and makes it writable again however the pod ends', () => {
    const cron = find(objects, 'CronJob', 'dangus-registry-gc') as unknown as {
      spec: { concurrencyPolicy: string; jobTemplate: { spec: { backoffLimit: number; template: { spec: { serviceAccountName: string; initContainers: Container[]; containers: Container[] } } } } };
    };
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.serviceAccountName).toBe('dangus-registry-gc');
    const [sidecar, readOnly, wait] = pod.initContainers;
    // First: the sidecar whose preStop removes the setting (restartPolicy Always: it outlives the steps).
    expect(sidecar?.restartPolicy).toBe('Always');
    expect(sidecar?.lifecycle?.preStop?.exec?.command).toEqual(['kubectl', 'set', 'env', 'deployment/dangus-registry', 'REGISTRY_STORAGE_MAINTENANCE_READONLY-']);
    expect(readOnly?.args).toEqual(['set', 'env', 'deployment/dangus-registry', 'REGISTRY_STORAGE_MAINTENANCE_READONLY={"enabled":true}']);
    expect(wait?.args?.slice(0, 3)).toEqual(['rollout', 'status', 'deployment/dangus-registry']);
    expect(pod.containers.map((c) => c.command)).toEqual([['registry', 'garbage-collect', '--delete-untagged', '/etc/distribution/config.yml']]);
    // The registry's own config says nothing of read-only: only the Job's window sets it.
    const config = String((find(objects, 'ConfigMap', 'dangus-registry').data as Record<string, string>)['config.yml']);
    expect(config).not.toContain('readonly');
  });

  it('lets the collector\'s account switch the registry\'s Deployment, and nothing else', async () => {
    await k(['create', 'namespace', ns]);
    const mine = objects
      .filter((o) => ['ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind) && o.metadata.name === 'dangus-registry-gc')
      .map((o) => JSON.parse(JSON.stringify(o).replaceAll('"dangus-system"', `"${ns}"`)) as RenderedObject);
    expect(mine.map((o) => o.kind).sort()).toEqual(['Role', 'RoleBinding', 'ServiceAccount']);
    const file = join(dir, 'rbac.json');
    await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: mine }));
    await k(['apply', '-f', file]);
    const can = async (...args: string[]) =>
      (await k(['auth', 'can-i', ...args, '-n', ns, `--as=system:serviceaccount:${ns}:dangus-registry-gc`]).catch((error: unknown) => (error instanceof Error ? error.message : String(error)))).trim().split('\n').pop();
    expect(await can('patch', 'deployment/dangus-registry')).toBe('yes');
    expect(await can('get', 'deployment/dangus-registry')).toBe('yes');
    expect(await can('patch', 'deployment/dangus-api')).not.toBe('yes');
    expect(await can('delete', 'deployment/dangus-registry')).not.toBe('yes');
    expect(await can('get', 'secrets')).not.toBe('yes');
    expect(await can('create', 'pods')).not.toBe('yes');
  });
});
