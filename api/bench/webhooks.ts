/**
 * Issue 6's benchmark: signed GitHub push deliveries at 50 concurrent
 * connections, each with its own X-GitHub-Delivery, spread over many
 * services. One run where every push builds (202: delivery row, supersede,
 * deployment row, one transaction), one where every push is to another branch
 * (200 ignored: one insert), both as fast as the connections go; then builds
 * paced at 100 deliveries/s. Prints a table, then checks that every 202 left
 * exactly one deployment and every answer one delivery row.
 *
 * Then the flood an attacker can send (issue 13): 40 clients posting 25 MB bodies
 * without pause, to unknown service ids and then to known ids with a forged
 * signature, while genuine pushes arrive at 10/s; the api's RSS is sampled from
 * /proc every 100 ms (target: under 300 MB) and the genuine answers' p99 is
 * reported.
 *
 * The api runs as its own process from compiled JavaScript (`npm run build`
 * first), on a throwaway embedded PostgreSQL.
 */
import autocannon from 'autocannon';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Encryptor } from '../src/crypto/encryption.js';
import { openDatabase } from '../src/db/data-source.js';
import { freePort, startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { pushPayload, randomSha, sign } from '../test/support/webhook-payloads.js';
import { startListeningProcess } from './process.js';

const SERVICES = 200;
const CONNECTIONS = 50;
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const PACED_RATE = 100;
const FLOOD_CLIENTS = 40;
const FLOOD_BODY = 25 * 1024 * 1024;
const FLOOD_S = Number(process.env.BENCH_FLOOD_DURATION ?? 15);
const GENUINE_RATE = 10;

interface BenchService {
  id: string;
  secret: string;
}

function startApi(env: Record<string, string>): Promise<ChildProcess> {
  return startListeningProcess([fileURLToPath(new URL('../dist/main.js', import.meta.url))], env);
}

/**
 * A signed push for each service, made fresh at every call: GitHub sends each push
 * once, and a body sent again would be a replay (answered "stale push").
 */
function signedBodies(services: BenchService[], ref: (index: number) => string) {
  // Made before the load starts, so the client's CPU goes to sending, not signing;
  // enough per service that none is sent twice in one run.
  const perService = Math.ceil((1_500 * DURATION_S) / services.length) + 5;
  return services.map((s, i) => {
    const made = Array.from({ length: perService }, () => {
      const body = JSON.stringify(pushPayload({ repo: `bench/svc-${i}`, ref: ref(i), after: randomSha() }));
      return { body, signature: sign(s.secret, body) };
    });
    let used = 0;
    return {
      path: `/webhooks/github/${s.id}`,
      next() {
        const body = made[used % made.length];
        used += 1;
        if (!body) throw new Error('no bodies');
        return body;
      },
    };
  });
}

/** The headers GitHub sends with a push, a fresh delivery id each time. */
function pushHeaders(signature: string): Record<string, string> {
  return { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': signature };
}

/** Fires the deliveries round-robin over the services, a fresh delivery id each. */
function load(origin: string, bodies: ReturnType<typeof signedBodies>, duration: number, rate?: number) {
  let next = 0;
  return autocannon({
    url: origin,
    connections: CONNECTIONS,
    duration,
    ...(rate ? { overallRate: rate } : {}),
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const target = bodies[next++ % bodies.length];
          if (!target) throw new Error('no services');
          const { body, signature } = target.next();
          return {
            ...req,
            method: 'POST',
            path: target.path,
            body,
            headers: pushHeaders(signature),
          };
        },
      },
    ],
  });
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dangus-bench-'));
  await chmod(dir, 0o755);
  const pg = await startEmbeddedPostgres(join(dir, 'pg'), { ephemeral: true });
  let api: ChildProcess | undefined;
  try {
    const key = randomBytes(32);
    const encryptor = new Encryptor('k1', key);
    const db = await openDatabase(pg.url, { poolSize: 2 });
    const [user] = await db.query<{ id: string }[]>(
      `INSERT INTO users (github_id, github_username, github_access_token, hash) VALUES (1, 'bench', 'x', 'bench1') RETURNING id`,
    );
    const [project] = await db.query<{ id: string }[]>(`INSERT INTO projects (user_id, name) VALUES ($1, 'bench') RETURNING id`, [user?.id]);
    const services: BenchService[] = [];
    for (let i = 0; i < SERVICES; i++) {
      const secret = randomBytes(32).toString('hex');
      const [row] = await db.query<{ id: string }[]>(
        `INSERT INTO services (project_id, user_id, name, host, repo_url, branch, dockerfile_path, port, webhook_secret)
         VALUES ($1, $2, $3, $4, $5, 'main', 'Dockerfile', 8080, $6) RETURNING id`,
        [project?.id, user?.id, `svc-${i}`, `bench1-bench--svc-${i}`, `https://github.com/bench/svc-${i}`, encryptor.encrypt(secret)],
      );
      if (!row) throw new Error('no service');
      services.push({ id: row.id, secret });
    }

    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const apiEnv = {
      DATABASE_URL: pg.url,
      PORT: String(port),
      DANGUS_DATA_DIR: join(dir, 'data'),
      ENCRYPTION_KEY: key.toString('base64'),
      SESSION_SECRET: randomBytes(32).toString('hex'),
      AUTH_LOCAL: 'true',
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
    };
    api = await startApi(apiEnv);

    const builds = signedBodies(services, () => 'refs/heads/main');
    const ignored = signedBodies(services, () => 'refs/heads/dev');
    await load(origin, builds, 2); // warm-up
    await settle();
    const before = await counts(db);
    const buildResult = await load(origin, builds, DURATION_S);
    await settle();
    const afterBuilds = await counts(db);
    const ignoredResult = await load(origin, ignored, DURATION_S);
    await settle();
    const afterIgnored = await counts(db);
    // GitHub's traffic is bursts, not a flood: the same 50 connections, paced below saturation.
    const pacedResult = await load(origin, builds, DURATION_S, PACED_RATE);
    await settle();
    const afterPaced = await counts(db);

    // The floods against a fresh process: what they cost, not what the load above left in the heap.
    const loadedRss = rssMb(api.pid ?? 0);
    api.kill('SIGTERM');
    await new Promise((resolve) => api?.once('exit', resolve));
    api = await startApi(apiEnv);
    await settle();
    const pid = api.pid ?? 0;
    const idleRss = rssMb(pid);
    const floodUnknown = await flood(origin, pid, () => `/webhooks/github/${randomUUID()}`, builds);
    await settle();
    const floodKnown = await flood(origin, pid, (i) => `/webhooks/github/${services[i % services.length]?.id ?? ''}`, builds);
    await settle();

    // autocannon abandons the requests in flight when time is up: the api may still
    // record those, so rows may exceed answers, never the other way round.
    const answered = (r: autocannon.Result) => r['2xx'];
    const checks = [
      ['answered builds without a delivery row', Math.max(0, answered(buildResult) - (afterBuilds.deliveries - before.deliveries)), 0],
      ['answered ignores without a delivery row', Math.max(0, answered(ignoredResult) - (afterIgnored.deliveries - afterBuilds.deliveries)), 0],
      ['202 answers without a deployment', Math.max(0, (buildResult.statusCodeStats?.['202']?.count ?? 0) - (afterBuilds.deployments - before.deployments)), 0],
      ['answered paced builds without a delivery row', Math.max(0, answered(pacedResult) - (afterPaced.deliveries - afterIgnored.deliveries)), 0],
      ['deployments without their one delivery', afterPaced.unlinked, 0],
      ['deployments made by ignored pushes', afterIgnored.deployments - afterBuilds.deployments, 0],
    ] as const;
    await db.destroy();

    const row = (name: string, r: autocannon.Result) =>
      `| ${name} | ${r.requests.average.toFixed(0)} | ${r.latency.p50} | ${r.latency.p99} | ${r.non2xx + r.errors + r.timeouts} |`;
    process.stdout.write(
      [
        '',
        `### POST /webhooks/github/:id, signed pushes over ${SERVICES} services, ${CONNECTIONS} connections, ${DURATION_S} s`,
        '',
        '| delivery | req/s | p50 ms | p99 ms | errors |',
        '| --- | ---: | ---: | ---: | ---: |',
        row('push to the branch (202, builds)', buildResult),
        row('push to another branch (200, ignored)', ignoredResult),
        row(`push to the branch, paced at ${PACED_RATE}/s`, pacedResult),
        '',
        '| figure | value | target |',
        '| --- | ---: | ---: |',
        `| build p99 | ${buildResult.latency.p99} ms | ≤ 50 ms |`,
        '',
        `### The flood: ${FLOOD_CLIENTS} clients posting ${FLOOD_BODY / 1024 / 1024} MB bodies for ${FLOOD_S} s, genuine pushes at ${GENUINE_RATE}/s`,
        '',
        `api RSS after the load above: ${loadedRss.toFixed(0)} MB; a fresh api for the floods, before them: ${idleRss.toFixed(0)} MB`,
        '',
        '| flood to | bodies sent | api max RSS MB | genuine pushes | genuine 2xx | genuine p50 ms | genuine p99 ms |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
        floodRow('unknown service ids', floodUnknown),
        floodRow('known ids, forged signature', floodKnown),
        '',
        '| figure | value | target |',
        '| --- | ---: | ---: |',
        `| max RSS under the floods | ${Math.max(floodUnknown.maxRssMb, floodKnown.maxRssMb).toFixed(0)} MB | < 300 MB |`,
        `| RSS the floods added to the fresh api | ${(Math.max(floodUnknown.maxRssMb, floodKnown.maxRssMb) - idleRss).toFixed(0)} MB | bounded (32 MiB of bodies) |`,
        `| genuine pushes refused under the floods | ${floodUnknown.genuine - floodUnknown.genuineOk + floodKnown.genuine - floodKnown.genuineOk} | 0 |`,
        ...checks.map(([name, got, want]) => `| ${name} | ${got} | ${want} |`),
        '',
      ].join('\n'),
    );
    if (checks.some(([, got, want]) => got !== want)) process.exitCode = 1;
  } finally {
    api?.kill('SIGTERM');
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

interface FloodResult {
  bodies: number;
  maxRssMb: number;
  genuine: number;
  genuineOk: number;
  latencies: number[];
}

function floodRow(name: string, r: FloodResult): string {
  const sorted = [...r.latencies].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN);
  return `| ${name} | ${r.bodies} | ${r.maxRssMb.toFixed(0)} | ${r.genuine} | ${r.genuineOk} | ${at(0.5).toFixed(1)} | ${at(0.99).toFixed(1)} |`;
}

/** The resident set of a process, in MB, from /proc. */
function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
}

/**
 * FLOOD_CLIENTS loops, each posting a 25 MB body to `pathOf(i)` with a forged
 * signature and starting again as soon as it is answered or cut off; meanwhile
 * genuine signed pushes at GENUINE_RATE, and the api's RSS every 100 ms.
 */
async function flood(origin: string, pid: number, pathOf: (i: number) => string, genuine: ReturnType<typeof signedBodies>): Promise<FloodResult> {
  const body = Buffer.alloc(FLOOD_BODY, 0x20);
  const url = new URL(origin);
  const until = Date.now() + FLOOD_S * 1000;
  const result: FloodResult = { bodies: 0, maxRssMb: 0, genuine: 0, genuineOk: 0, latencies: [] };
  const sampler = setInterval(() => (result.maxRssMb = Math.max(result.maxRssMb, rssMb(pid))), 100);
  const post = (i: number) =>
    new Promise<void>((resolve) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: pathOf(i),
          agent: false,
          headers: {
            'content-type': 'application/json',
            'content-length': String(FLOOD_BODY),
            'x-github-event': 'push',
            'x-github-delivery': randomUUID(),
            'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
          },
        },
        (res) => {
          res.resume();
          res.on('end', resolve);
          res.on('error', () => resolve());
        },
      );
      req.on('error', () => resolve());
      req.end(body);
      result.bodies += 1;
    });
  const clients = Array.from({ length: FLOOD_CLIENTS }, async (_, i) => {
    while (Date.now() < until) await post(i);
  });
  let n = 0;
  const genuineLoop = (async () => {
    while (Date.now() < until) {
      const target = genuine[n++ % genuine.length];
      if (!target) break;
      const { body, signature } = target.next();
      const started = performance.now();
      result.genuine += 1;
      void fetch(`${origin}${target.path}`, {
        method: 'POST',
        body,
        headers: pushHeaders(signature),
      })
        .then(async (res) => {
          await res.arrayBuffer();
          result.latencies.push(performance.now() - started);
          if (res.ok) result.genuineOk += 1;
        })
        .catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 1000 / GENUINE_RATE));
    }
  })();
  await Promise.all([...clients, genuineLoop]);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  clearInterval(sampler);
  return result;
}

function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1000));
}

async function counts(db: Awaited<ReturnType<typeof openDatabase>>) {
  const [row] = await db.query<{ deployments: number; deliveries: number; unlinked: number }[]>(
    `SELECT (SELECT count(*)::int FROM deployments) AS deployments,
            (SELECT count(*)::int FROM webhook_deliveries) AS deliveries,
            (SELECT count(*)::int FROM deployments d
               LEFT JOIN (SELECT deployment_id, count(*) AS n FROM webhook_deliveries GROUP BY deployment_id) w ON w.deployment_id = d.id
              WHERE coalesce(w.n, 0) <> 1) AS unlinked`,
  );
  if (!row) throw new Error('no counts');
  return row;
}

await main();
