/**
 * Helpers of platform-postgres.test.ts: the install's PostgreSQL objects as the prod overlay
 * renders them, the Secret in the template's shape, a tenant's namespace as the platform
 * renders it, pods that report what they reached, and a pod's memory read from /proc.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dumpYaml, loadAllYaml, type CoreV1Api, type V1EnvVar, type V1Pod } from '@kubernetes/client-node';
import { parseTemplates, readTemplates, renderSettingsSchema, renderTenant } from '@dangus/gitops-writer';
import { kubectl, render, repoRoot, type RenderedObject } from '../bootstrap/kustomize.js';
import { eventually } from '../pipeline/support.js';

export const NAMESPACE = 'dangus-system';
export const POSTGRES_NAME = 'dangus-postgres';
export const POSTGRES_POD = `${POSTGRES_NAME}-0`;
/** The name the api reaches PostgreSQL by (the Secret template's DATABASE_URL). */
export const POSTGRES_HOST = `${POSTGRES_NAME}.${NAMESPACE}.svc`;

/**
 * What the install runs PostgreSQL with, exactly as `kubectl kustomize bootstrap/overlays/prod`
 * renders it: the namespace, PostgreSQL's ServiceAccount, Service and StatefulSet, any
 * PodDisruptionBudget selecting it, and every NetworkPolicy of dangus-system.
 */
export async function postgresObjects(): Promise<RenderedObject[]> {
  const objects = await render('bootstrap/overlays/prod');
  const isPostgres = (o: RenderedObject) =>
    o.metadata.name === POSTGRES_NAME && ['ServiceAccount', 'Service', 'StatefulSet'].includes(o.kind);
  const selectsPostgres = (o: RenderedObject) =>
    o.kind === 'PodDisruptionBudget' &&
    (o as { spec?: { selector?: { matchLabels?: Record<string, string> } } }).spec?.selector?.matchLabels?.['app.kubernetes.io/name'] === POSTGRES_NAME;
  return objects.filter((o) => o.kind === 'Namespace' || o.kind === 'NetworkPolicy' || isPostgres(o) || selectsPostgres(o));
}

/**
 * The Secret dangus-secrets from bootstrap/secret.template.yaml: every REQUIRED key filled as
 * its comment says (random values, DATABASE_URL with the same password), the OPTIONAL ones
 * deleted, as the template tells an operator to.
 */
export async function secretFromTemplate(): Promise<{ secret: RenderedObject; password: string }> {
  const [template] = loadAllYaml(await readFile(join(repoRoot, 'bootstrap/secret.template.yaml'), 'utf8')) as RenderedObject[];
  if (!template) throw new Error('no Secret in the template');
  const data = (template as unknown as { stringData: Record<string, string> }).stringData;
  const optional = new Set(['GITHUB_CLIENT_ID', 'GITHUB_CLIENT_SECRET', 'HARBOR_USERNAME', 'HARBOR_PASSWORD', 'HARBOR_ADMIN_USERNAME', 'HARBOR_ADMIN_PASSWORD']);
  const password = randomBytes(24).toString('hex');
  const filled: Record<string, string> = {};
  for (const [key, value] of Object.entries(data).filter(([k]) => !optional.has(k))) {
    if (key === 'POSTGRES_PASSWORD') filled[key] = password;
    else if (key === 'DATABASE_URL') filled[key] = value.replace('REPLACE_ME', password);
    else if (key === 'ENCRYPTION_KEY') filled[key] = randomBytes(32).toString('base64');
    else filled[key] = randomBytes(32).toString('hex');
  }
  if (Object.values(filled).some((v) => v.includes('REPLACE_ME'))) throw new Error('a REQUIRED key of the template is left unfilled');
  return { secret: { ...template, stringData: filled }, password };
}

/** `kubectl apply` of these objects, unchanged. */
export async function apply(kubeconfig: string, dir: string, name: string, objects: unknown[]): Promise<void> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, objects.map((o) => dumpYaml(o)).join('---\n'), { mode: 0o600 });
  await kubectl(['--kubeconfig', kubeconfig, 'apply', '-f', file]);
}

/** A tenant's namespace.yaml as the platform renders it (its namespace, NetworkPolicies, quota). */
export function tenantNamespaceObjects(templates: Awaited<ReturnType<typeof readTemplates>>, name: string): { namespace: string; objects: unknown[] } {
  const userHash = 'pgiso1';
  const namespace = `${userHash}-${name}`;
  const settings = renderSettingsSchema.parse({ baseDomain: 'apps.dangus.test', harborHost: 'harbor.dangus.test', harborProject: 'dangus' });
  const files = renderTenant({ project: { id: randomUUID(), name }, userHash, namespace, services: [] }, settings, parseTemplates(templates));
  const text = files.get(`tenants/${namespace}/namespace.yaml`);
  if (!text) throw new Error(`no namespace.yaml rendered: ${[...files.keys()].join(', ')}`);
  return { namespace, objects: loadAllYaml(text) };
}
export { readTemplates };

/** Restricted Pod Security (dangus-system's level) for a test pod. */
const RESTRICTED = {
  pod: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
  container: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
};

/**
 * A pod that runs `script` once (busybox sh) and ends; its log is the report. `env` may take
 * values from the Secret (PGPASSWORD, as the api gets its DATABASE_URL).
 */
export function scriptPod(name: string, image: string, script: string, opts: { labels?: Record<string, string>; env?: V1EnvVar[] } = {}): V1Pod {
  return {
    metadata: { name, ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      securityContext: RESTRICTED.pod,
      containers: [{
        name: 'probe',
        image,
        imagePullPolicy: 'Never',
        command: ['/bin/sh', '-c', script],
        ...(opts.env ? { env: opts.env } : {}),
        securityContext: RESTRICTED.container,
        resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '200m', memory: '64Mi' } },
      }],
    },
  };
}

/** Runs the pod to its end; returns its phase and log. */
export async function runToEnd(core: CoreV1Api, namespace: string, pod: V1Pod, timeoutMs = 180_000): Promise<{ phase: string; log: string }> {
  const name = pod.metadata?.name ?? '';
  await core.createNamespacedPod({ namespace, body: pod });
  const phase = await eventually(`pod ${namespace}/${name} to end`, async () => {
    const p = await core.readNamespacedPod({ namespace, name });
    return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p.status.phase : undefined;
  }, timeoutMs);
  const log = await core.readNamespacedPodLog({ namespace, name });
  process.stderr.write(`[pod ${namespace}/${name} ${phase}]\n${log}`);
  return { phase, log };
}

/** The `label: value` lines of a report. */
export function reportLines(log: string): Record<string, string> {
  return Object.fromEntries(log.split('\n').filter((l) => l.includes(': ')).map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]));
}

/**
 * Shell lines trying a TCP connection to each target once (busybox nc): `label: open`, or
 * `label: closed (<why>)` when refused or timed out.
 */
export function tcpChecks(targets: [label: string, host: string, port: number][]): string {
  return targets
    .map(([label, host, port]) => `if err=$(nc -w 5 ${host} ${port} </dev/null 2>&1); then echo "${label}: open"; else echo "${label}: closed ($err)"; fi`)
    .join('\n');
}

/** The processes of a pod's containers on this host (the kubelet's cgroups name the pod's UID). */
async function podProcesses(podUid: string, skip: string[]): Promise<number[]> {
  const needle = podUid.replaceAll('-', '_');
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const [cgroup, comm] = await Promise.all([
      readFile(`/proc/${entry}/cgroup`, 'utf8').catch(() => ''),
      readFile(`/proc/${entry}/comm`, 'utf8').catch(() => ''),
    ]);
    if ((cgroup.includes(podUid) || cgroup.includes(needle)) && !skip.includes(comm.trim())) pids.push(Number(entry));
  }
  return pids;
}

/** A pod's memory at this moment, pause left out: summed RSS and PSS (shared pages split) in MiB, and its processes. */
export async function podMemory(podUid: string): Promise<{ rssMiB: number; pssMiB: number; processes: number }> {
  let rss = 0;
  let pss = 0;
  const pids = await podProcesses(podUid, ['pause']);
  for (const pid of pids) {
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
    rss += Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
    pss += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
  }
  return { rssMiB: Math.round(rss / 102.4) / 10, pssMiB: Math.round(pss / 102.4) / 10, processes: pids.length };
}
