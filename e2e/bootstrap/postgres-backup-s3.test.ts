// The postgres-backup-s3 component rendered by kustomize: the CronJob runs pg_dump first
// (an init container) and then the very upload.sh that api/test/postgres-backup-s3.test.ts
// runs against a real SeaweedFS and PostgreSQL, from a ConfigMap generated from that file,
// with the platform's own Secret; the backup pod may reach the object-storage endpoint.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { find, render, repoRoot, type RenderedObject } from './kustomize.js';

interface Container {
  name: string;
  image: string;
  command?: string[];
  envFrom?: { secretRef: { name: string } }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  initContainers?: Container[];
  containers: Container[];
  volumes: { name: string; configMap?: { name: string }; persistentVolumeClaim?: { claimName: string } }[];
}

async function renderWith(components: string[]): Promise<RenderedObject[]> {
  const dir = await mkdtemp(join(tmpdir(), 'dangus-bootstrap-'));
  try {
    const base = relative(dir, join(repoRoot, 'bootstrap/base'));
    const comps = components.map((c) => relative(dir, join(repoRoot, 'bootstrap/components', c)));
    await writeFile(join(dir, 'kustomization.yaml'), JSON.stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', namespace: 'dangus-system', resources: [base], components: comps }));
    return await render(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const podOf = (objects: RenderedObject[]) =>
  (find(objects, 'CronJob', 'dangus-postgres-backup').spec as { jobTemplate: { spec: { template: { spec: PodSpec } } } }).jobTemplate.spec.template.spec;

describe('the postgres-backup-s3 component', () => {
  it('runs pg_dump, then upload.sh from a ConfigMap of the same bytes, with the platform\'s Secret', async () => {
    const objects = await renderWith(['postgres-backup', 'postgres-backup-s3']);
    const pod = podOf(objects);
    expect(pod.initContainers?.map((c) => c.name)).toEqual(['pg-dump']);
    expect(pod.containers.map((c) => c.name)).toEqual(['upload']);
    const upload = pod.containers[0];
    expect(upload?.command).toEqual(['sh', '/scripts/upload.sh']);
    expect(upload?.envFrom).toEqual([{ secretRef: { name: 'dangus-backup-s3' } }]);
    expect(upload?.volumeMounts).toEqual([
      { name: 'backups', mountPath: '/backups', readOnly: true },
      { name: 'backup-s3-scripts', mountPath: '/scripts', readOnly: true },
    ]);
    const scripts = pod.volumes.find((v) => v.name === 'backup-s3-scripts')?.configMap?.name ?? '';
    const data = find(objects, 'ConfigMap', scripts).data as Record<string, string>;
    const dir = join(repoRoot, 'bootstrap/components/postgres-backup-s3');
    expect(data['upload.sh']).toBe(await readFile(join(dir, 'upload.sh'), 'utf8'));
    expect(data['restore.sh']).toBe(await readFile(join(dir, 'restore.sh'), 'utf8'));
    const egress = (find(objects, 'NetworkPolicy', 'postgres-backup').spec as { egress: unknown[] }).egress;
    expect(egress).toContainEqual({ ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 8333 }] });
  });

  it('without it, the CronJob is the volume-only one', async () => {
    const pod = podOf(await renderWith(['postgres-backup']));
    expect(pod.initContainers).toBeUndefined();
    expect(pod.containers.map((c) => c.name)).toEqual(['pg-dump']);
  });
});
