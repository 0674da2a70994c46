import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/db/embedded-postgres.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TSX = ['--import', 'tsx'];

/** Starts the real entry point, as `npm start` does, and waits until it listens. */
async function startApi(env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [...TSX, MAIN], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes('is listening on')) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`api exited with ${String(code)}:\n${output}`));
    });
  });
  return { child, output: () => output };
}

async function stopApi(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

describe('npm start: the embedded default', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dangus-start-'));
    await chmod(dataDir, 0o755);
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts PostgreSQL itself, signs in locally, and keeps data and secrets across a restart', async () => {
    const port = await freePort();
    const env = { DANGUS_DATA_DIR: dataDir, PORT: String(port) };
    const origin = `http://127.0.0.1:${port}`;

    const first = await startApi(env);
    let projectId: string;
    try {
      expect((await fetch(`${origin}/readyz`)).status).toBe(200);
      const signIn = await fetch(`${origin}/auth/local`, { method: 'POST', headers: { Origin: origin } });
      expect(signIn.status).toBe(204);
      const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const created = await fetch(`${origin}/api/projects`, {
        method: 'POST',
        headers: { Origin: origin, Cookie: cookie, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'survivor' }),
      });
      expect(created.status).toBe(201);
      projectId = ((await created.json()) as { id: string }).id;
    } finally {
      await stopApi(first.child);
    }
    const secrets = await readFile(join(dataDir, 'secrets.json'), 'utf8');
    expect((await stat(join(dataDir, 'secrets.json'))).mode & 0o777).toBe(0o600);

    const second = await startApi(env);
    try {
      const signIn = await fetch(`${origin}/auth/local`, { method: 'POST', headers: { Origin: origin } });
      const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const list = (await (await fetch(`${origin}/api/projects`, { headers: { Cookie: cookie } })).json()) as { id: string }[];
      expect(list.map((p) => p.id)).toEqual([projectId]);
      const ui = await fetch(`${origin}/some/page`);
      expect(ui.headers.get('content-type')).toMatch(/text\/html/);
    } finally {
      await stopApi(second.child);
    }
    expect(await readFile(join(dataDir, 'secrets.json'), 'utf8')).toBe(secrets);
  }, 120_000);

  it('with a bad configuration, exits with every problem listed', async () => {
    const child = spawn(process.execPath, [...TSX, MAIN], {
      env: { PATH: process.env.PATH ?? '', PORT: 'x', ENCRYPTION_KEY: 'short', DATABASE_URL: 'mysql://nope' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/^Invalid configuration:/);
    for (const name of ['PORT', 'ENCRYPTION_KEY', 'DATABASE_URL', 'SESSION_SECRET']) expect(stderr).toContain(`${name}:`);
  }, 30_000);
});
