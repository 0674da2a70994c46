import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ApiProcess {
  origin: string;
  /** The data dir (state repo, secrets, embedded PostgreSQL): reusable by the next process. */
  dataDir: string;
  /** SIGTERM, then the data dir is removed (unless it was given). */
  stop(): Promise<void>;
  /** SIGKILL: the process dies mid-whatever, its data dir stays. */
  kill(): Promise<void>;
  /** Sends SIGTERM and returns at once; `exited` says when and how it ended. */
  terminate(): void;
  /** The exit code once the process has exited. */
  exited: Promise<number | null>;
  /** `null` while it runs. */
  readonly exitCode: number | null;
  /** SIGTERM and the exit; the data dir stays (a rolling restart's old pod). */
  stopKeepingData(): Promise<void>;
  /** The last 20,000 characters it printed. */
  output(): string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * The product as `npm start` runs it (embedded PostgreSQL, built UI, local
 * sign-in), in a throwaway data dir on a free port.
 */
export async function startApiProcess(env: Record<string, string> = {}, options: { dataDir?: string; port?: number } = {}): Promise<ApiProcess> {
  if (!existsSync(join(ROOT, 'ui/dist/index.html'))) {
    throw new Error('ui/dist is missing: run `npm run build -w ui` first (npm test does).');
  }
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'dangus-e2e-')));
  await chmod(dataDir, 0o755);
  const port = options.port ?? (await freePort());
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'api/src/main.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DANGUS_DATA_DIR: dataDir, PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
      if (output.includes('is listening on')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      reject(new Error(`the api exited with ${String(code)}:\n${output}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    origin: `http://127.0.0.1:${port}`,
    dataDir,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    terminate() {
      child.kill('SIGTERM');
    },
    exited,
    get exitCode() {
      return child.exitCode ?? (child.signalCode === null ? null : -1);
    },
    async stopKeepingData() {
      child.kill('SIGTERM');
      await exited;
    },
    output: () => output,
  };
}
