/** Helpers of the applier's cluster tests: a state repo on a temp dir, tenant files, a write-counting client. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClusterClient, type ClusterClient, type LiveObject, type ManagedFieldsEntry, type ManifestObject, type ObjectRef } from '@dangus/applier';
import { StateRepo } from '@dangus/gitops-writer';
import type { KubeConfig } from '@kubernetes/client-node';

export const ACTOR = { name: 'Test', email: 'test@example.com', login: 'test' };

export async function tempRepo(): Promise<{ dir: string; repo: StateRepo; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'dangus-applier-'));
  const repo = await StateRepo.open({ dir: join(dir, 'state.git') });
  return { dir: join(dir, 'state.git'), repo, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface ServiceSpec {
  name: string;
  image?: string;
  replicas?: number;
  pvc?: boolean;
  /** A build Job `{name}-build-{build}`. */
  build?: string;
  /** The Service's port is named `http` (as the product's templates name it). */
  namedPort?: boolean;
}

const LABELS = { 'app.kubernetes.io/managed-by': 'dangus' };

/** The files of a tenant, as the writer lays them out (docs/architecture.md#the-state-repo); JSON, which is YAML. */
export function tenantFiles(namespace: string, services: ServiceSpec[]): Map<string, string> {
  const files = new Map<string, string>();
  const put = (path: string, ...objects: object[]) => files.set(`tenants/${namespace}/${path}`, objects.map((o) => `${JSON.stringify(o, null, 2)}\n`).join('---\n'));
  put('kustomization.yaml', { resources: ['namespace.yaml', ...services.map((s) => s.name)] });
  put('namespace.yaml', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: LABELS } }, {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'tenant-quota', namespace, labels: LABELS },
    spec: { hard: { pods: '20' } },
  });
  for (const s of services) {
    const meta = (name: string) => ({ name, namespace, labels: { ...LABELS, app: s.name } });
    put(`${s.name}/deployment.yaml`, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(s.name),
      spec: {
        replicas: s.replicas ?? 1,
        selector: { matchLabels: { app: s.name } },
        template: {
          metadata: { labels: { app: s.name } },
          spec: { containers: [{ name: 'app', image: s.image ?? 'nginx:1.27', ports: [{ containerPort: 8080 }] }] },
        },
      },
    });
    put(`${s.name}/service.yaml`, { apiVersion: 'v1', kind: 'Service', metadata: meta(s.name), spec: { selector: { app: s.name }, ports: [{ ...(s.namedPort === true ? { name: 'http' } : {}), port: 80, targetPort: 8080 }] } });
    put(`${s.name}/ingress.yaml`, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: meta(s.name),
      spec: { rules: [{ host: `${s.name}.example.com`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: s.name, port: { number: 80 } } } }] } }] },
    });
    if (s.pvc === true) {
      put(`${s.name}/pvc.yaml`, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta(`${s.name}-data`), spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    }
    if (s.build !== undefined) {
      put(`${s.name}/build-${s.build}.yaml`, {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: meta(`${s.name}-build-${s.build}`),
        spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'kaniko', image: 'busybox:1.36', command: ['true'] }] } } },
      });
    }
  }
  return files;
}

/** The real client, counting the calls that write. */
export class CountingClient implements ClusterClient {
  writes = 0;
  /** When set, the n-th write from now on throws, as a process dying mid-sync would stop. */
  crashAfterWrites: number | null = null;
  private readonly inner: KubeClusterClient;

  constructor(kube: KubeConfig) {
    this.inner = new KubeClusterClient(kube, 'dangus-applier');
  }

  private write(): void {
    this.writes += 1;
    if (this.crashAfterWrites !== null && this.writes > this.crashAfterWrites) throw new Error('simulated crash');
  }

  apply(object: ManifestObject): Promise<LiveObject> {
    this.write();
    const metadata = object.metadata as { name?: string; namespace?: string };
    this.written.push(`apply ${object.kind} ${metadata.namespace ?? ''}/${metadata.name ?? ''}`);
    return this.inner.apply(object);
  }

  delete(ref: ObjectRef): Promise<boolean> {
    this.write();
    this.written.push(`delete ${ref.kind} ${ref.namespace}/${ref.name}`);
    return this.inner.delete(ref);
  }

  setManagedFields(ref: ObjectRef, managedFields: ManagedFieldsEntry[]): Promise<void> {
    this.write();
    this.written.push(`managedFields ${ref.kind} ${ref.namespace}/${ref.name}`);
    return this.inner.setManagedFields(ref, managedFields);
  }

  /** Every read: `get Kind namespace/name` or `list Kind namespace` (`*`: cluster-wide). */
  readonly reads: string[] = [];
  /** Every write: `apply|delete|managedFields Kind namespace/name`. */
  readonly written: string[] = [];

  get(ref: ObjectRef): Promise<LiveObject | null> {
    this.reads.push(`get ${ref.kind} ${ref.namespace}/${ref.name}`);
    return this.inner.get(ref);
  }

  list(apiVersion: string, kind: string, labelSelector: string, namespace?: string): Promise<LiveObject[]> {
    this.reads.push(`list ${kind} ${namespace ?? '*'}`);
    return this.inner.list(apiVersion, kind, labelSelector, namespace);
  }
}

let counter = 0;
/** A namespace name no other test uses (`{6 chars}-{project}`, like the writer's). */
export function uniqueNamespace(project: string): string {
  counter += 1;
  return `${(Date.now() % 1e6).toString(36).padStart(4, '0')}${counter.toString(36).padStart(2, '0')}-${project}`;
}
