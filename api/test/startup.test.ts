/**
 * Start-up and configuration as a person meets them (issue 28), on the real process: the
 * built `node api/dist/main.js` (as `npm start` and the image run it) with the environment
 * under test. A start-up failure is one line on stderr that names the setting and says what
 * to do, never a stack trace; a start prints one line a person can act on; Ctrl-C stops the
 * app and then the embedded PostgreSQL without an error.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/db/embedded-postgres.js';
import { createTestDatabase } from './support/database.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const KEY = randomBytes(32).toString('base64');
const SESSION_SECRET = randomBytes(32).toString('hex');
/** The settings of a production start on the run's PostgreSQL (DATABASE_URL comes per test). */
const PRODUCTION = { ENCRYPTION_KEY: KEY, SESSION_SECRET };

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node api/dist/main.js` with `env`; `wrap` runs it through another command (setpriv). */
function spawnMain(env: Record<string, string>, options: { detached?: boolean; wrap?: string[] } = {}): { child: ChildProcessByStdio<null, Readable, Readable>; out: () => Outcome; exited: Promise<number | null> } {
  if (!existsSync(MAIN)) throw new Error('api/dist/main.js is missing: build first (npm run build, or tsc -b tsconfig.build.json).');
  const [command, ...args]: string[] = [...(options.wrap ?? []), process.execPath, MAIN];
  const child = spawn(command ?? process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, out: () => ({ code: child.exitCode, stdout, stderr }) };
}

/**
 * Starts the process and waits for it to exit (each case here stops it before it listens);
 * one that starts instead is stopped after 20 s, and the case fails on its outcome.
 */
async function failedStart(env: Record<string, string>, options: { wrap?: string[] } = {}): Promise<Outcome> {
  const started = spawnMain(env, options);
  const timer = setTimeout(() => started.child.kill('SIGKILL'), 20_000);
  const code = await started.exited;
  clearTimeout(timer);
  return { ...started.out(), code };
}

/** Its stderr is exactly one line, with no stack frame. */
function oneLine(outcome: Outcome): string {
  const lines = outcome.stderr.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  expect(outcome.stderr).toMatch(/^[^\n]+\n$/);
  expect(outcome.stderr).not.toMatch(/\n\s+at /);
  return lines[0] ?? '';
}

async function listening(started: ReturnType<typeof spawnMain>): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (started.out().stdout.includes('is listening on')) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
    void started.exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`the process exited with ${String(code)}:\n${started.out().stdout}\n${started.out().stderr}`));
    });
  });
}

describe('start-up failures: one line naming the setting, no stack trace', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'dangus-startup-'));
    await chmod(dir, 0o755);
  });
  afterAll(async () => {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });
  /** A production start on the run's PostgreSQL, with `env` on top. */
  const production = (env: Record<string, string>) => ({ ...PRODUCTION, DATABASE_URL: database.url, DANGUS_DATA_DIR: join(dir, 'data'), PORT: '1', ...env });
  const password = () => decodeURIComponent(new URL(database.url).password);

  it.each([
    ['70000', '70000'],
    ['0', '0'],
    ['eighty', 'eighty'],
  ])('PORT=%s: says it must be 1–65535 and exits 2', async (port, shown) => {
    const outcome = await failedStart({ PORT: port });
    expect(oneLine(outcome)).toBe(`Invalid configuration: PORT: must be 1–65535 (it is "${shown}"): the one port of the UI, the API and the webhooks.`);
    expect(outcome.code).toBe(2);
  });

  it('HOST=0.0.0.0 without PUBLIC_URL: refuses to start and says to set PUBLIC_URL', async () => {
    const outcome = await failedStart({ HOST: '0.0.0.0' });
    expect(oneLine(outcome)).toMatch(/^Invalid configuration: PUBLIC_URL: HOST is 0\.0\.0\.0, .*: set PUBLIC_URL to the URL users open/);
    expect(outcome.code).toBe(2);
  });

  it.each([
    ['SESSION_SECRET', { SESSION_SECRET: 'REPLACE_ME' }, /^Invalid configuration: SESSION_SECRET: still holds the placeholder "REPLACE_ME": set it to .*openssl rand/],
    ['ENCRYPTION_KEY', { ENCRYPTION_KEY: 'changeme' }, /^Invalid configuration: ENCRYPTION_KEY: still holds the placeholder "changeme": set it to .*openssl rand -base64 32/],
    ['GITHUB_CLIENT_SECRET', { GITHUB_CLIENT_ID: 'Iv1.0123456789abcdef', GITHUB_CLIENT_SECRET: 'REPLACE_ME' }, /^Invalid configuration: GITHUB_CLIENT_SECRET: still holds the placeholder "REPLACE_ME".*it is optional/],
    ['an empty SESSION_SECRET', { SESSION_SECRET: '' }, /^Invalid configuration: SESSION_SECRET: is empty: set it to at least 32 random characters/],
  ])('a placeholder or an empty secret (%s): refused, naming the key', async (_label, env, line) => {
    const outcome = await failedStart(production(env));
    expect(oneLine(outcome)).toMatch(line);
    expect(outcome.code).toBe(2);
  });

  it('a DATABASE_URL whose password is still the placeholder: refused, naming DATABASE_URL', async () => {
    const url = new URL(database.url);
    url.password = 'REPLACE_ME';
    const outcome = await failedStart(production({ DATABASE_URL: url.toString() }));
    // Without DATABASE_URL the embedded PostgreSQL runs: the setting is optional.
    expect(oneLine(outcome)).toBe('Invalid configuration: DATABASE_URL: still holds the placeholder "REPLACE_ME": set the real value, or remove the setting if you do not use it (it is optional).');
    expect(outcome.code).toBe(2);
  });

  it('PostgreSQL unreachable: names DATABASE_URL and where, not its password', async () => {
    const port = await freePort();
    const outcome = await failedStart(production({ DATABASE_URL: `postgres://dangus:s3cr3t-pw@127.0.0.1:${String(port)}/dangus` }));
    expect(oneLine(outcome)).toBe(
      `DATABASE_URL: nothing answers at 127.0.0.1:${String(port)} (connection refused): start PostgreSQL there, or fix the host and port in DATABASE_URL.`,
    );
    expect(outcome.stdout + outcome.stderr).not.toContain('s3cr3t-pw');
    expect(outcome.code).toBe(1);
  });

  it('a wrong password: names DATABASE_URL and the user, prints neither password', async () => {
    const url = new URL(database.url);
    url.password = 'not-the-password';
    const outcome = await failedStart(production({ DATABASE_URL: url.toString() }));
    expect(oneLine(outcome)).toBe(
      `DATABASE_URL: PostgreSQL at ${url.host}${url.pathname} refused the password of user "dangus": fix the password in DATABASE_URL (URL-encode characters such as @ : / ?).`,
    );
    expect(outcome.stdout + outcome.stderr).not.toContain('not-the-password');
    expect(outcome.stdout + outcome.stderr).not.toContain(password());
    expect(outcome.code).toBe(1);
  });

  it('no password for a SCRAM server (the embedded PostgreSQL is one): names DATABASE_URL and how to write it', async () => {
    const url = new URL(database.url);
    url.password = '';
    const outcome = await failedStart(production({ DATABASE_URL: url.toString() }));
    expect(oneLine(outcome)).toBe(
      `DATABASE_URL: PostgreSQL at ${url.host}${url.pathname} asks user "dangus" for a password and DATABASE_URL has none: write it as postgres://dangus:PASSWORD@${url.host}${url.pathname}.`,
    );
    expect(outcome.stdout + outcome.stderr).not.toContain(password());
    expect(outcome.code).toBe(1);
  });

  it('KUBECONFIG missing, a directory, or not a kubeconfig: names KUBECONFIG and what to do', async () => {
    const garbage = join(dir, 'garbage.yaml');
    await writeFile(garbage, 'clusters: [\n');
    const cases: [string, string][] = [
      [join(dir, 'no-such-kubeconfig'), 'does not exist'],
      [dir, 'is a directory, not a file'],
      [garbage, 'is not a kubeconfig ('],
    ];
    for (const [file, what] of cases) {
      const outcome = await failedStart(production({ KUBECONFIG: file }));
      const line = oneLine(outcome);
      expect(line.startsWith(`KUBECONFIG: ${file} ${what}`)).toBe(true);
      expect(line).toMatch(/: point KUBECONFIG at your cluster's kubeconfig file .*, or unset it to run without a cluster\.$/);
      expect(outcome.code).toBe(1);
    }
  }, 60_000);

  it('KUBECONFIG unreadable by the user the process runs as: says so', async () => {
    const file = join(dir, 'private-kubeconfig.yaml');
    await writeFile(file, 'apiVersion: v1\nkind: Config\n');
    await chmod(file, 0o000);
    // Root reads any file through its capabilities: as root, the process runs without them.
    const wrap = process.getuid?.() === 0 ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search'] : [];
    const outcome = await failedStart(production({ KUBECONFIG: file }), { wrap });
    expect(oneLine(outcome)).toMatch(new RegExp(`^KUBECONFIG: ${file} cannot be read by this user \\(permission denied\\): point KUBECONFIG at`));
    expect(outcome.code).toBe(1);
  });

  it('a data dir the embedded PostgreSQL cannot enter: names DANGUS_DATA_DIR and what to do', async () => {
    const closed = join(dir, 'closed');
    await mkdir(closed, { mode: 0o700 });
    // As root, PostgreSQL runs as `postgres`, which cannot enter a root-only directory; otherwise the directory is closed to its owner too.
    if (process.getuid?.() !== 0) await chmod(closed, 0o000);
    const outcome = await failedStart({ DANGUS_DATA_DIR: join(closed, 'data'), PORT: String(await freePort()) });
    await chmod(closed, 0o700);
    expect(oneLine(outcome)).toMatch(new RegExp(`^DANGUS_DATA_DIR: the embedded PostgreSQL cannot use ${join(closed, 'data')} \\(permission denied\\): .*set DANGUS_DATA_DIR to a directory`));
    expect(outcome.code).toBe(1);
  }, 60_000);

  it('the port in use: names PORT and says to free it or choose another', async () => {
    const taken: Server = createServer();
    const port = await new Promise<number>((resolve) => {
      taken.listen(0, '127.0.0.1', () => {
        const address = taken.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
    try {
      const outcome = await failedStart(production({ PORT: String(port) }));
      expect(oneLine(outcome)).toBe(
        `PORT: port ${String(port)} on 127.0.0.1 is already in use (another Dangus Cloud, or another program): stop that one, or set PORT to a free port.`,
      );
      expect(outcome.code).toBe(1);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('a start prints one line a person can act on; LOG_FORMAT=pretty prints it bare, with the Harbor warning once a registry is configured', async () => {
    const port = await freePort();
    const started = spawnMain(production({ PORT: String(port), LOG_FORMAT: 'pretty', HARBOR_HOST: 'registry.example.com' }));
    try {
      await listening(started);
    } finally {
      started.child.kill('SIGTERM');
    }
    expect(await started.exited).toBe(0);
    const lines = started.out().stdout.split('\n');
    const url = new URL(database.url);
    expect(lines).toContain(
      `Dangus Cloud is listening on http://127.0.0.1:${String(port)}: open it and sign in locally (no password; this machine only) · no cluster: pushes are recorded but not built (set KUBECONFIG to build and deploy) · data in PostgreSQL at ${url.host}${url.pathname}, state repo in ${join(dir, 'data', 'state-repo')}`,
    );
    // The records are readable lines, not JSON, and the shared registry credential is warned about.
    expect(lines.filter((line) => line.startsWith('{'))).toEqual([]);
    expect(lines.filter((line) => / WARN: builds share one registry credential/.test(line))).toHaveLength(1);
    expect(started.out().stderr).toBe('');
  }, 60_000);
});

describe('Ctrl-C on the embedded default', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dangus-ctrl-c-'));
    await chmod(dataDir, 0o755);
    await mkdir(join(dataDir, 'data'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('stops the app, then PostgreSQL: no error, no stack, exit 0; the start said where to open it and where the data is', async () => {
    const port = await freePort();
    const data = join(dataDir, 'data');
    // Its own process group, as a terminal's foreground job: the Ctrl-C goes to every process in it.
    const started = spawnMain({ DANGUS_DATA_DIR: data, PORT: String(port) }, { detached: true });
    try {
      await listening(started);
    } catch (error) {
      started.child.kill('SIGKILL');
      throw error;
    }
    const pid = started.child.pid ?? 0;
    try {
      expect(existsSync(join(data, 'postgres', 'pgdata', 'postmaster.pid'))).toBe(true);

      // A second start on the same data: one line naming DANGUS_DATA_DIR, and the first runs on.
      const second = await failedStart({ DANGUS_DATA_DIR: data, PORT: String(await freePort()) });
      expect(oneLine(second)).toMatch(new RegExp(`^DANGUS_DATA_DIR: another PostgreSQL \\(PID \\d+\\) already runs on ${data}, probably a Dangus Cloud still running: stop it, or set DANGUS_DATA_DIR to another directory\\.$`));
      expect(second.code).toBe(1);
      expect((await fetch(`http://127.0.0.1:${String(port)}/readyz`)).status).toBe(200);

      process.kill(-pid, 'SIGINT');
      // `npm start` forwards the same Ctrl-C to its child a moment later.
      await new Promise((resolve) => setTimeout(resolve, 50));
      started.child.kill('SIGINT');
      expect(await started.exited).toBe(0);
    } finally {
      // A failed expectation must not leave the app (and its PostgreSQL) running.
      if (started.child.exitCode === null && started.child.signalCode === null) {
        started.child.kill('SIGTERM');
        await started.exited;
      }
    }
    const { stdout, stderr } = started.out();

    expect(stderr).toBe('');
    const records = stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { level: number; msg: string; err?: unknown });
    expect(records.filter((record) => record.level >= 50 || record.err !== undefined)).toEqual([]);
    // A stack in a JSON record is an escaped "\n    at …".
    expect(stdout).not.toMatch(/\\n\s+at |terminating connection|administrator command/);
    expect(records.map((record) => record.msg)).toContain('shutting down: draining');
    // PostgreSQL was stopped cleanly, by the app, after it: it removes its pid file on a clean stop.
    expect(existsSync(join(data, 'postgres', 'pgdata', 'postmaster.pid'))).toBe(false);

    // The start-up line, as a JSON record here (stdout is no terminal), and no registry warning on a laptop.
    expect(records.map((record) => record.msg)).toContain(
      `Dangus Cloud is listening on http://127.0.0.1:${String(port)}: open it and sign in locally (no password; this machine only) · no cluster: pushes are recorded but not built (set KUBECONFIG to build and deploy) · data in ${data} (embedded PostgreSQL, state repo, generated secrets)`,
    );
    expect(stdout).not.toContain('registry credential');
  }, 120_000);
});
