/**
 * Flux for the tests: source-controller and kustomize-controller, built from their Go
 * modules (e2e/cluster/flux/go.mod, `build.sh --flux`) and run as processes against the
 * test control plane, the way an install with Flux runs them in flux-system; their
 * CustomResourceDefinitions read from the same modules, never written by hand.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, loadYaml, type KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { clusterModuleDir, ensureBinaries } from '../cluster/src/binaries.js';
import { freePorts, pollUntil } from '../cluster/src/util.js';

const FLUX_MODULE_DIR = join(clusterModuleDir, 'flux');
export const SOURCE_CONTROLLER = 'github.com/fluxcd/source-controller';
export const KUSTOMIZE_CONTROLLER = 'github.com/fluxcd/kustomize-controller';

/** The directory of a module pinned by e2e/cluster/flux/go.mod, downloaded when missing. */
function moduleDir(module: string): string {
  const run = (args: string[]) =>
    execFileSync('go', args, { cwd: FLUX_MODULE_DIR, encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly' } }).trim();
  const dir = run(['list', '-m', '-f', '{{.Dir}}', module]);
  if (dir !== '') return dir;
  const { Dir } = JSON.parse(run(['mod', 'download', '-json', module])) as { Dir?: string };
  if (!Dir) throw new Error(`go mod download ${module} gave no directory`);
  return Dir;
}

/**
 * Every CRD both controllers serve or watch, as client-node's models: read with
 * `loadYaml`, so the schema's `default`s survive the client's serializer (the model
 * calls the field `_default`; a plain object's `default` would be dropped silently,
 * and Flux's controllers then meet objects without their defaults).
 */
function fluxCrds(): V1CustomResourceDefinition[] {
  return [SOURCE_CONTROLLER, KUSTOMIZE_CONTROLLER].flatMap((module) => {
    const dir = join(moduleDir(module), 'config', 'crd', 'bases');
    return readdirSync(dir)
      .filter((file) => file.endsWith('.yaml'))
      .map((file) => loadYaml<V1CustomResourceDefinition>(readFileSync(join(dir, file), 'utf8')));
  });
}

/** Creates (or keeps) Flux's CRDs and waits until each is served. */
export async function installFluxCrds(kube: KubeConfig): Promise<void> {
  const extensions = kube.makeApiClient(ApiextensionsV1Api);
  for (const crd of fluxCrds()) {
    await extensions.createCustomResourceDefinition({ body: crd }).catch((error: unknown) => {
      if ((error as { code?: number }).code !== 409) throw error;
    });
    await pollUntil(
      async () => {
        const read = await extensions.readCustomResourceDefinition({ name: crd.metadata?.name ?? '' });
        return read.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
      },
      { what: `CRD ${crd.metadata?.name ?? ''} to be established`, timeoutMs: 30_000, intervalMs: 100 },
    );
  }
}

export interface Flux {
  namespace: string;
  /** Stops kustomize-controller only (a handover's last step is Flux gone). */
  stopKustomizeController(): Promise<void>;
  /** Both controllers' last output lines, for a failure's message. */
  output(): string;
  stop(): Promise<void>;
}

export interface FluxOptions {
  kube: KubeConfig;
  kubeconfigPath: string;
  /** Where the controllers run (RUNTIME_NAMESPACE) and their objects live. Default `flux-system`. */
  namespace?: string;
  /** kustomize-controller's `--override-manager`: field managers whose fields Flux takes over. */
  overrideManagers?: string[];
  log?: (line: string) => void;
}

/**
 * Installs the CRDs and the namespace, and starts both controllers watching every
 * namespace, without leader election, their health and artifact servers on loopback
 * (kustomize-controller downloads the GitRepository's artifact from source-controller's
 * advertised loopback address).
 */
export async function startFlux(options: FluxOptions): Promise<Flux> {
  const namespace = options.namespace ?? 'flux-system';
  const log = options.log ?? (() => undefined);
  const bin = await ensureBinaries(log, { flux: true });
  await installFluxCrds(options.kube);
  await options.kube
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name: namespace } } })
    .catch((error: unknown) => {
      if ((error as { code?: number }).code !== 409) throw error;
    });
  const storage = await mkdtemp(join(tmpdir(), 'dangus-flux-'));
  const [storagePort, sourceHealth, kustomizeHealth] = (await freePorts(3)) as [number, number, number];
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', KUBECONFIG: options.kubeconfigPath, RUNTIME_NAMESPACE: namespace };
  const common = ['--watch-all-namespaces=true', '--enable-leader-election=false', '--metrics-addr=0', '--log-level=info'];
  let lines: string[] = [];
  const start = (name: string, args: string[]): ChildProcess => {
    const child = spawn(join(bin, name), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      lines = [...lines, ...chunk.toString('utf8').split('\n').filter((l) => l !== '').map((l) => `${name}: ${l}`)].slice(-200);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    return child;
  };
  const source = start('source-controller', [
    ...common,
    `--health-addr=127.0.0.1:${String(sourceHealth)}`,
    `--storage-path=${storage}`,
    `--storage-addr=127.0.0.1:${String(storagePort)}`,
    `--storage-adv-addr=127.0.0.1:${String(storagePort)}`,
  ]);
  const kustomize = start('kustomize-controller', [
    ...common,
    `--health-addr=127.0.0.1:${String(kustomizeHealth)}`,
    ...(options.overrideManagers ?? []).map((manager) => `--override-manager=${manager}`),
  ]);
  const children = [source, kustomize];
  const stopChild = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const flux: Flux = {
    namespace,
    stopKustomizeController: () => stopChild(kustomize),
    output: () => lines.join('\n'),
    async stop() {
      await Promise.all(children.map(stopChild));
      await rm(storage, { recursive: true, force: true });
    },
  };
  try {
    for (const port of [sourceHealth, kustomizeHealth]) {
      await pollUntil(
        async () => {
          for (const child of children) if (child.exitCode !== null) throw new Error(`a Flux controller exited:\n${flux.output()}`);
          return (await fetch(`http://127.0.0.1:${String(port)}/readyz`)).ok;
        },
        { what: 'Flux controllers to be ready', timeoutMs: 60_000, intervalMs: 200 },
      );
    }
  } catch (error) {
    await flux.stop();
    throw error;
  }
  return flux;
}

/** A Flux object's Ready condition: `{status, reason, message}`, or undefined before it has one. */
export async function fluxReady(
  kube: KubeConfig,
  ref: { group: string; plural: string; namespace: string; name: string },
): Promise<{ status: string; reason: string; message: string; revision?: string } | undefined> {
  const object = (await kube.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ ...ref, version: 'v1' })) as {
    status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[]; lastAppliedRevision?: string; observedGeneration?: number };
    metadata?: { generation?: number };
  };
  const ready = object.status?.conditions?.find((c) => c.type === 'Ready');
  if (!ready) return undefined;
  return {
    status: ready.status,
    reason: ready.reason ?? '',
    message: ready.message ?? '',
    ...(object.status?.lastAppliedRevision ? { revision: object.status.lastAppliedRevision } : {}),
  };
}

/** Where Flux's objects of the bootstrap example live, for CustomObjectsApi calls. */
export const FLUX_KUSTOMIZATIONS = { group: 'kustomize.toolkit.fluxcd.io', version: 'v1', namespace: 'flux-system', plural: 'kustomizations' };
export const FLUX_GITREPOSITORIES = { group: 'source.toolkit.fluxcd.io', version: 'v1', namespace: 'flux-system', plural: 'gitrepositories' };

/**
 * bootstrap/flux/ as bootstrap/README.md says to apply it: the token Secret, the
 * GitRepository (its URL pointed at `url`, the platform's /state.git) and the root
 * Kustomization on `./flux`. Returns the GitRepository's interval.
 */
export async function applyFluxExample(kube: KubeConfig, options: { url: string; token: string }): Promise<{ interval: string }> {
  const root = fileURLToPath(new URL('../../bootstrap/flux/', import.meta.url));
  await kube.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace: FLUX_GITREPOSITORIES.namespace,
    body: { metadata: { name: 'dangus-state-repo' }, stringData: { bearerToken: options.token } },
  });
  const gitRepository = load(readFileSync(join(root, 'gitrepository.yaml'), 'utf8')) as { spec: { url: string; interval: string } };
  gitRepository.spec.url = options.url;
  const custom = kube.makeApiClient(CustomObjectsApi);
  await custom.createNamespacedCustomObject({ ...FLUX_GITREPOSITORIES, body: gitRepository });
  await custom.createNamespacedCustomObject({ ...FLUX_KUSTOMIZATIONS, body: load(readFileSync(join(root, 'kustomization.yaml'), 'utf8')) as object });
  return { interval: gitRepository.spec.interval };
}
