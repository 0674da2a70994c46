/**
 * Issue 6's benchmark: signed GitHub push deliveries at 50 concurrent
 * connections, each with its own X-GitHub-Delivery, spread over many
 * services. One run where every push builds (202: delivery row, supersede,
 * deployment row, one transaction), one where every push is to another branch
 * (200 ignored: one insert), both as fast as the connections go; then builds
 * paced at 100 deliveries/s. Prints a table, then checks that every 202 left
 * exactly one deployment and every answer one delivery row.
 *
 * The api runs as its own process from compiled JavaScript (`npm run build`
 * first), on a throwaway embedded PostgreSQL.
 */
import autocannon from 'autocannon';
import type { ChildProcess } from 'node:child_process';
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

interface BenchService {
  id: string;
  secret: string;
}

function startApi(env: Record<string, string>): Promise<ChildProcess> {
  return startListeningProcess([fileURLToPath(new URL('../dist/main.js', import.meta.url))], env);
}

/** One signed body per service (the delivery id is a header, outside the signature). */
function signedBodies(services: BenchService[], ref: (index: number) => string) {
  return services.map((s, i) => {
    const body = JSON.stringify(pushPayload({ repo: `bench/svc-${i}`, ref: ref(i), after: randomSha() }));
    return { path: `/webhooks/github/${s.id}`, body, signature: sign(s.secret, body) };
  });
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
          return {
            ...req,
            method: 'POST',
            path: target.path,
            body: target.body,
            headers: {
              'content-type': 'application/json',
              'x-github-event': 'push',
              'x-github-delivery': randomUUID(),
              'x-hub-signature-256': target.signature,
            },
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
        `INSERT INTO services (project_id, user_id, name, repo_url, branch, dockerfile_path, port, webhook_secret)
         VALUES ($1, $2, $3, $4, 'main', 'Dockerfile', 8080, $5) RETURNING id`,
        [project?.id, user?.id, `svc-${i}`, `https://github.com/bench/svc-${i}`, encryptor.encrypt(secret)],
      );
      if (!row) throw new Error('no service');
      services.push({ id: row.id, secret });
    }

    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    api = await startApi({
      DATABASE_URL: pg.url,
      PORT: String(port),
      DANGUS_DATA_DIR: join(dir, 'data'),
      ENCRYPTION_KEY: key.toString('base64'),
      SESSION_SECRET: randomBytes(32).toString('hex'),
      AUTH_LOCAL: 'true',
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
    });

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
