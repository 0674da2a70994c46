// Where the control-plane binaries live, and building them (build.sh) when they are missing.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** e2e/cluster/ (holds go.mod, kwok/go.mod and build.sh). */
export const clusterModuleDir = fileURLToPath(new URL('..', import.meta.url));

export const BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'] as const;
/** What the real-node tier runs besides (build.sh --node). */
export const NODE_BINARIES = ['kubelet', 'kaniko-executor', 'registry', 'traefik', 'pause', 'metrics-server', 'kube-proxy', 'kube-router', 'coredns', 'local-path-provisioner'] as const;
/** Flux's controllers, for the GitOps tests (build.sh --flux). */
export const FLUX_BINARIES = ['source-controller', 'kustomize-controller'] as const;
export type BinaryName = (typeof BINARIES)[number] | (typeof NODE_BINARIES)[number] | (typeof FLUX_BINARIES)[number];

/** Which groups of binaries beyond the control plane's. */
export interface BinaryOptions {
  node?: boolean;
  flux?: boolean;
}

function pinnedVersion(goMod: string, module: string): string {
  const text = readFileSync(join(clusterModuleDir, goMod), 'utf8');
  const escaped = module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const match = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(text);
  if (!match?.[1]) throw new Error(`no version of ${module} in e2e/cluster/${goMod}`);
  return match[1];
}

/** The pinned releases, read from the go.mod files (the single source of truth). */
export function pinnedVersions(): { kubernetes: string; etcd: string; kwok: string } {
  return {
    kubernetes: pinnedVersion('go.mod', 'k8s.io/kubernetes'),
    etcd: pinnedVersion('go.mod', 'go.etcd.io/etcd/server/v3'),
    kwok: pinnedVersion('kwok/go.mod', 'sigs.k8s.io/kwok'),
  };
}

/** ${DANGUS_CACHE_DIR:-~/.cache/dangus}/k8s/<kubernetes version> (the same rule as build.sh). */
export function binaryCacheDir(): string {
  const root = process.env.DANGUS_CACHE_DIR || join(homedir(), '.cache', 'dangus');
  return join(root, 'k8s', pinnedVersions().kubernetes);
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function missingBinaries(dir = binaryCacheDir(), options: BinaryOptions = {}): BinaryName[] {
  const wanted: BinaryName[] = [...BINARIES, ...(options.node ? NODE_BINARIES : []), ...(options.flux ? FLUX_BINARIES : [])];
  return wanted.filter((name) => !executable(join(dir, name)));
}

export function hasGo(): boolean {
  return spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
}

export const HOW_TO_GET_A_CLUSTER = [
  'The e2e tests need a Kubernetes cluster. Either:',
  '  - install Go (>= 1.26) and let the harness build the pinned control plane once',
  '    (or run: bash e2e/cluster/build.sh; binaries are cached in ${DANGUS_CACHE_DIR:-~/.cache/dangus}/k8s/<version>/), or',
  '  - point DANGUS_TEST_KUBECONFIG at the kubeconfig of a cluster of your own (kind, k3d, ...).',
  'See e2e/cluster/README.md.',
].join('\n');

/**
 * Returns the directory holding the binaries (with `node`, the real node's too; with
 * `flux`, Flux's controllers). With Go on PATH, runs build.sh, which
 * builds only what is missing or out of date (a no-op takes well under a second); without
 * Go, the cached binaries must already be there.
 */
export async function ensureBinaries(log: (line: string) => void, options: BinaryOptions = {}): Promise<string> {
  const dir = binaryCacheDir();
  if (!hasGo()) {
    const missing = missingBinaries(dir, options);
    if (missing.length === 0) return dir;
    throw new Error(`no Go toolchain, and ${missing.join(', ')} not cached in ${dir}.\n${HOW_TO_GET_A_CLUSTER}`);
  }
  await new Promise<void>((resolve, reject) => {
    const args = [join(clusterModuleDir, 'build.sh'), ...(options.node ? ['--node'] : []), ...(options.flux ? ['--flux'] : [])];
    const child = spawn('bash', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '' && !line.startsWith('/')) log(line);
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`e2e/cluster/build.sh failed (exit ${code}); see its output above`)),
    );
  });
  const missing = missingBinaries(dir, options);
  if (missing.length > 0) throw new Error(`build.sh finished but ${missing.join(', ')} missing in ${dir}`);
  return dir;
}
