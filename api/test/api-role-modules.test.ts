/**
 * The `api` role loads only what it uses (docs/architecture.md#process-roles, issue 27's
 * footprint): started as e2e/support/api-process.ts starts the product (the real main.ts
 * through tsx, the workspaces' built dist through their package exports), on a real
 * PostgreSQL and without a cluster, it must not load the renderer's schema check
 * (kubernetes-models), the renderer, the controller, the pipeline, the applier or the
 * Kubernetes client. support/record-modules.ts writes down every module the process
 * resolves (a module.registerHooks resolve hook, loaded with --import after tsx).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/db/embedded-postgres.js';
import { createTestDatabase } from './support/database.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const RECORDER = fileURLToPath(new URL('./support/record-modules.ts', import.meta.url));

/** What the api role never runs, by the module URL that would load it. */
const NEVER_IN_THE_API_ROLE: Record<string, RegExp> = {
  'kubernetes-models (the renderer schema check)': /\/node_modules\/(@kubernetes-models|kubernetes-models)\//,
  'the renderer (render.js)': /\/gitops-writer\/(dist|src)\/render\/render\.(js|ts)$/,
  'the state-repo writer': /\/gitops-writer\/(dist|src)\/state-repo\/state-repo\.(js|ts)$/,
  'the controller (roles/controller)': /\/api\/src\/roles\/controller\.ts$/,
  'the pipeline (pipeline/pipeline)': /\/api\/src\/pipeline\/pipeline\.ts$/,
  'the applier': /\/applier\/(dist|src)\//,
  '@kubernetes/client-node (no cluster)': /\/node_modules\/@kubernetes\/client-node\//,
};

describe('DANGUS_ROLE=api', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'dangus-api-modules-'));
    await chmod(dir, 0o755);
  });
  afterAll(async () => {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves without loading the renderer, the controller, the pipeline or the cluster client', async () => {
    const record = join(dir, 'modules.txt');
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', RECORDER, MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        DANGUS_ROLE: 'api',
        DATABASE_URL: database.url,
        DANGUS_DATA_DIR: join(dir, 'data'),
        ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        SESSION_SECRET: randomBytes(32).toString('hex'),
        STATE_REPO_TOKEN: randomBytes(16).toString('hex'),
        AUTH_LOCAL: 'true',
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'info',
        DANGUS_RECORD_MODULES: record,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    let output = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('is listening on')) resolve();
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        void exited.then((code) => reject(new Error(`the api exited with ${String(code)}:\n${output}`)));
      });
      expect((await fetch(`http://127.0.0.1:${String(port)}/readyz`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);

    const loaded = (await readFile(record, 'utf8')).split('\n').filter((url) => url !== '');
    // The recorder saw the process: its entry, its HTTP side and the history it serves.
    expect(loaded).toContain(`file://${MAIN}`);
    expect(loaded.some((url) => url.endsWith('/api/src/server.ts'))).toBe(true);
    expect(loaded.some((url) => /\/gitops-writer\/(dist|src)\/state-repo\/history\.(js|ts)$/.test(url))).toBe(true);
    const offenders = Object.entries(NEVER_IN_THE_API_ROLE).flatMap(([what, pattern]) => {
      const hits = loaded.filter((url) => pattern.test(url));
      return hits.length === 0 ? [] : [`${what}: ${hits.slice(0, 3).join(', ')}`];
    });
    expect(offenders).toEqual([]);
  }, 120_000);
});
