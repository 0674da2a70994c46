/**
 * The idle footprint of each role (docs/architecture.md#process-roles): the resident
 * memory (RSS) of one process of `DANGUS_ROLE=all`, `api` and `controller`, started as
 * production starts it: the built `node api/dist/main.js` (bootstrap/base/*.yaml,
 * api/Dockerfile), NODE_ENV=production, PostgreSQL outside the process (one throwaway
 * embedded PostgreSQL for the whole bench, passed as DATABASE_URL), no cluster. Not through
 * tsx as e2e/support/api-process.ts does: its loader and the TypeScript it transforms
 * would be counted in the figure.
 *
 * Each role runs alone, one after the other, `--runs` times. A run waits until the
 * process is ready (api and all: `/readyz` answers 200; controller: `/healthz` answers and
 * `/status` says it leads) and, for the roles that lead (all, controller), until the
 * leader has reconciled the state repo with the database (its log line), then lets it idle
 * `--idle-seconds`, then reads VmRSS in /proc/<pid>/status `--samples` times and takes the
 * median. VmHWM (the peak RSS since start) is printed beside it.
 *
 * `node --import tsx e2e/bench/footprint.ts [--runs 3] [--idle-seconds 5] [--samples 5] [--roles all,api,controller]`
 * (after `npm run build`: it runs api/dist and serves ui/dist). Linux only (/proc).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, startEmbeddedPostgres } from '@dangus/api/embedded-postgres';
import { withCleanUp } from './clean-up.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'api/dist/main.js');

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'idle-seconds': { type: 'string', default: '5' },
    samples: { type: 'string', default: '5' },
    roles: { type: 'string', default: 'all,api,controller' },
  },
});
const RUNS = Number(args.runs);
const IDLE_MS = Number(args['idle-seconds']) * 1000;
const SAMPLES = Number(args.samples);
/** The issue's target for the `api` role (issue 27): MiB of idle RSS. */
const API_TARGET_MIB = 200;

type Role = 'all' | 'api' | 'controller';
const isRole = (value: string): value is Role => value === 'all' || value === 'api' || value === 'controller';
const ROLES: Role[] = args.roles.split(',').filter(isRole);
if (ROLES.length === 0) throw new Error(`--roles: a comma-separated list of all, api, controller (got ${args.roles})`);
/** What the leader logs once the state repo is at the database's state (api/src/roles/controller.ts). */
const RECONCILED = 'state repo reconciled with the database';

const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cleanUp = withCleanUp(log);
const cleanups = cleanUp.cleanups;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
};
const mib = (kib: number) => (kib / 1024).toFixed(0);

/** VmRSS and VmHWM of `pid`, in KiB. */
async function memoryOf(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${String(pid)}/status`, 'utf8');
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!match) throw new Error(`no ${name} in /proc/${String(pid)}/status`);
    return Number(match[1]);
  };
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** Polls `check` until it is true; fails with `what` (and the process's output) after `timeoutMs`. */
async function until(check: () => Promise<boolean>, what: string, child: ChildProcess, output: () => string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the process exited while waiting for ${what}:\n${output()}`);
    try {
      if (await check()) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${output()}`);
    await sleep(100);
  }
}

interface Measure {
  rss: number;
  hwm: number;
  readyMs: number;
}

async function measure(role: Role, databaseUrl: string, shared: Record<string, string>): Promise<Measure> {
  const dataDir = await mkdtemp(join(tmpdir(), `dangus-bench-footprint-${role}-`));
  await chmod(dataDir, 0o755);
  const port = await freePort();
  const origin = `http://127.0.0.1:${String(port)}`;
  const started = performance.now();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...shared,
      NODE_ENV: 'production',
      DANGUS_ROLE: role,
      DATABASE_URL: databaseUrl,
      DANGUS_DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: origin,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  };
  let output = '';
  let reconciled = false;
  const onData = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
    if (output.includes(RECONCILED)) reconciled = true;
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  try {
    const ok = async (path: string) => (await fetch(`${origin}${path}`, { signal: AbortSignal.timeout(5_000) })).status === 200;
    if (role === 'controller') {
      await until(() => ok('/healthz'), '/healthz', child, () => output);
      await until(
        async () => {
          const body = (await (await fetch(`${origin}/status`, { signal: AbortSignal.timeout(5_000) })).json()) as { leader: { leading: boolean } | null };
          return body.leader?.leading === true;
        },
        '/status to say it leads',
        child,
        () => output,
      );
    } else {
      await until(() => ok('/readyz'), '/readyz', child, () => output);
    }
    if (role !== 'api') await until(() => Promise.resolve(reconciled), 'the leader to reconcile the state repo', child, () => output);
    const readyMs = performance.now() - started;
    // Idle: nothing is asked of it; its start-up's garbage has time to be collected.
    await sleep(IDLE_MS);
    const samples: { rss: number; hwm: number }[] = [];
    for (let i = 0; i < SAMPLES; i += 1) {
      if (i > 0) await sleep(200);
      samples.push(await memoryOf(child.pid ?? 0));
    }
    return { rss: median(samples.map((s) => s.rss)), hwm: Math.max(...samples.map((s) => s.hwm)), readyMs };
  } finally {
    await stop();
  }
}

async function main(): Promise<void> {
  if (process.platform !== 'linux') throw new Error('this benchmark reads /proc: Linux only');
  if (!existsSync(MAIN)) throw new Error('api/dist/main.js is missing: run `npm run build` first (npm run bench does).');
  const dir = await mkdtemp(join(tmpdir(), 'dangus-bench-footprint-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  // As root, PostgreSQL runs as an unprivileged user, which must reach its data dir.
  await chmod(dir, 0o755);
  const database = await startEmbeddedPostgres(join(dir, 'pg'), { ephemeral: true });
  cleanups.push(() => database.stop());

  // Every role shares the keys, as the replicas of one install do (bootstrap/base/).
  const shared: Record<string, string> = {
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SESSION_SECRET: randomBytes(32).toString('hex'),
    STATE_REPO_TOKEN: randomBytes(16).toString('hex'),
    AUTH_LOCAL: 'true',
    LOG_LEVEL: 'info',
  };
  // The first start migrates the empty database; it is not counted.
  log('migrating the database (one api start, not counted)…');
  await measure('api', database.url, shared);

  const results = new Map<Role, Measure[]>(ROLES.map((role) => [role, []]));
  for (let run = 1; run <= RUNS; run += 1) {
    for (const role of ROLES) {
      const result = await measure(role, database.url, shared);
      results.get(role)?.push(result);
      log(`  run ${String(run)}, ${role}: idle RSS ${mib(result.rss)} MiB (peak ${mib(result.hwm)} MiB), ready after ${(result.readyMs / 1000).toFixed(1)} s`);
    }
  }

  const row = (role: Role) => {
    const runs = results.get(role) ?? [];
    const rss = runs.map((r) => r.rss);
    const target = role === 'api' ? `≤ ${String(API_TARGET_MIB)}` : '';
    return `| ${role} | ${mib(median(rss))} | ${mib(Math.min(...rss))}–${mib(Math.max(...rss))} | ${mib(median(runs.map((r) => r.hwm)))} | ${(median(runs.map((r) => r.readyMs)) / 1000).toFixed(1)} | ${target} |`;
  };
  process.stdout.write(
    [
      '',
      `### Idle RSS per role (Node ${process.versions.node}, ${String(cpus().length)} cores; \`node api/dist/main.js\`, NODE_ENV=production, PostgreSQL outside the process, no cluster)`,
      '',
      `Each role alone, ${String(RUNS)} runs; per run the median of ${String(SAMPLES)} reads of VmRSS, ${String(IDLE_MS / 1000)} s after it was ready (the leader's first reconcile done).`,
      '',
      '| role | idle RSS MiB (median of runs) | min–max | peak RSS MiB (VmHWM) | start → ready s | target MiB |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...ROLES.map(row),
      '',
    ].join('\n'),
  );
}

await cleanUp.run(main);
