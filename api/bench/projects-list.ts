/**
 * Issue 2's benchmark: `GET /api/projects` for a user with 1,000 projects at 50
 * concurrent connections, against the same query on a bare Express + pg
 * handler, plus the api's RSS idle and under load. Prints a table.
 *
 * Both servers run as separate processes from compiled JavaScript (`npm run
 * build` first), on a throwaway embedded PostgreSQL.
 */
import autocannon from 'autocannon';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../src/db/data-source.js';
import { freePort, startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { startListeningProcess } from './process.js';

const PROJECTS = 1_000;
const CONNECTIONS = 50;
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function load(url: string, headers: Record<string, string>, onTick?: () => void) {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, headers, setupClient: undefined });
  onTick?.();
  return result;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dangus-bench-'));
  await chmod(dir, 0o755);
  const pg = await startEmbeddedPostgres(dir, { ephemeral: true });
  const children: ChildProcess[] = [];
  try {
    const db = await openDatabase(pg.url, { poolSize: 2 });
    const [user] = await db.query<{ id: string }[]>(
      `INSERT INTO users (github_id, github_username, github_access_token, hash) VALUES (1, 'bench', 'x', 'bench1') RETURNING id`,
    );
    if (!user) throw new Error('no user');
    await db.query(
      `INSERT INTO projects (user_id, name) SELECT $1, 'project-' || lpad(i::text, 4, '0') FROM generate_series(1, $2) i`,
      [user.id, PROJECTS],
    );
    const sessionSecret = randomBytes(32).toString('hex');
    await db.destroy();

    const apiPort = await freePort();
    const origin = `http://127.0.0.1:${apiPort}`;
    const api = await startListeningProcess([fileURLToPath(new URL('../dist/main.js', import.meta.url))], {
      DATABASE_URL: pg.url,
      PORT: String(apiPort),
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      SESSION_SECRET: sessionSecret,
      AUTH_LOCAL: 'true',
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
    });
    children.push(api);
    // A real session for the bench user, made the way the api makes them.
    const { SessionStore } = await import('../src/auth/sessions.js');
    const sessionDb = await openDatabase(pg.url, { poolSize: 1 });
    const session = await new SessionStore(sessionDb, sessionSecret, 3_600_000).create(user.id);
    await sessionDb.destroy();
    const cookie = `dangus_session=${session.token}`;
    const check = await fetch(`${origin}/api/projects`, { headers: { cookie } });
    const body = (await check.json()) as unknown[];
    if (body.length !== PROJECTS) throw new Error(`expected ${PROJECTS} projects, got ${body.length}`);

    await new Promise((r) => setTimeout(r, 1000));
    const idleRss = await rssMb(api.pid ?? 0);
    await load(`${origin}/api/projects`, { cookie }); // warm-up
    let peakRss = 0;
    const sampler = setInterval(() => void rssMb(api.pid ?? 0).then((v) => (peakRss = Math.max(peakRss, v))), 200);
    const apiResult = await load(`${origin}/api/projects`, { cookie });
    clearInterval(sampler);

    const barePort = await freePort();
    const bare = await startListeningProcess(['--import', 'tsx', fileURLToPath(new URL('./bare-baseline.ts', import.meta.url))], {
      DATABASE_URL: pg.url,
      PORT: String(barePort),
      BENCH_USER_ID: user.id,
    });
    children.push(bare);
    await load(`http://127.0.0.1:${barePort}/api/projects`, {});
    const bareResult = await load(`http://127.0.0.1:${barePort}/api/projects`, {});

    const row = (name: string, r: autocannon.Result) =>
      `| ${name} | ${r.requests.average.toFixed(0)} | ${r.latency.p50} | ${r.latency.p99} | ${r.non2xx + r.errors} |`;
    const ratio = (apiResult.requests.average / bareResult.requests.average) * 100;
    process.stdout.write(
      [
        '',
        `### GET /api/projects, ${PROJECTS} projects, ${CONNECTIONS} connections, ${DURATION_S} s`,
        '',
        '| server | req/s | p50 ms | p99 ms | errors |',
        '| --- | ---: | ---: | ---: | ---: |',
        row('dangus api', apiResult),
        row('bare express + pg', bareResult),
        '',
        `| figure | value | target |`,
        `| --- | ---: | ---: |`,
        `| api throughput / bare | ${ratio.toFixed(0)} % | ≥ 40 % |`,
        `| api p99 | ${apiResult.latency.p99} ms | ≤ 25 ms |`,
        `| api RSS idle | ${idleRss.toFixed(0)} MB | ≤ 150 MB |`,
        `| api RSS peak under load | ${peakRss.toFixed(0)} MB | |`,
        '',
      ].join('\n'),
    );
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
