/**
 * The replicas' benchmark (docs/architecture.md#process-roles): api replicas
 * (DANGUS_ROLE=api) and controllers (DANGUS_ROLE=controller), each a real `npm start`
 * process (e2e/support/replica-set.ts), on one throwaway embedded PostgreSQL, the api
 * replicas behind the local load balancer. No cluster: deployments stay pending, which
 * none of the three figures needs.
 *
 * 1. Rolling restart: 2 api + 1 controller; signed push deliveries at a steady
 *    `--rate` per second (scheduled by the clock, each send on its own) for `--seconds`;
 *    meanwhile both api replicas are replaced as Kubernetes does with maxSurge 1 /
 *    maxUnavailable 0 (a new replica ready and in the balancer, then the old one out of
 *    it and SIGTERMed), twice if the window allows. Every answer but a 202 fails.
 * 2. Failover: 1 api + 2 controllers; the leader is SIGKILLed, then a user change is
 *    made at once: the time until the standby's `/status` says it leads, and until that
 *    change's intent is committed (`state_intents.done_at`). `--failovers` times, a
 *    controller started again after each so two always run. Then as many graceful
 *    stops (SIGTERM): the time until the standby's `/status` says it leads.
 * 3. User change → commit through the outbox: 1 api + 1 controller; `--changes`
 *    sequential changes (a service's port), each one commit; per change
 *    `state_intents.created_at` → `done_at` from the database, and the request's own time
 *    (the api answers once the commit is made).
 *
 * The phases share the processes: the set is reshaped between them (processes started
 * and stopped), as a Deployment scaled would be.
 *
 * `node --import tsx e2e/bench/replicas.ts [--seconds 60] [--rate 20] [--failovers 5] [--changes 100]`
 * (after `npm run build`: the api processes serve the built UI).
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startEmbeddedPostgres } from '@dangus/api/embedded-postgres';
import { deliveryHeaders, pushPayload, randomSha } from '@dangus/api/test-support/webhook-payloads';
import { withCleanUp } from './clean-up.js';
import { jsonCaller, leaderOf, signInLocal, startReplicaSet, until, type Replica, type ReplicaSet } from '../support/replica-set.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    rate: { type: 'string', default: '20' },
    failovers: { type: 'string', default: '5' },
    changes: { type: 'string', default: '100' },
  },
});
const SECONDS = Number(args.seconds);
const RATE = Number(args.rate);
const FAILOVERS = Number(args.failovers);
const CHANGES = Number(args.changes);
/** The deliveries go round robin over them: two projects' worth (each project's quota holds five). */
const SERVICES = 10;

const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cleanUp = withCleanUp(log);
const cleanups = cleanUp.cleanups;

interface Service {
  id: string;
  name: string;
  webhookSecret: string;
}

/** The value at quantile `q` of ascending `sorted`. */
const at = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
const ascending = (values: number[]) => [...values].sort((a, b) => a - b);
const ms = (value: number) => value.toFixed(value < 10 ? 1 : 0);
const s = (value: number) => (value / 1000).toFixed(2);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dangus-bench-replicas-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  // As root, PostgreSQL runs as an unprivileged user, which must reach its data dir.
  await chmod(dir, 0o755);
  const database = await startEmbeddedPostgres(join(dir, 'pg'), { ephemeral: true });
  cleanups.push(() => database.stop());

  // One process first: it migrates the empty database (processes started together would race
  // on the migrations); the others start once it listens.
  log('starting 2 api replicas and 1 controller (the first one migrates the database)…');
  const set: ReplicaSet = await startReplicaSet({ databaseUrl: database.url, env: { MAX_ENV_VARS_PER_SERVICE: '10000' }, apis: 1, controllers: 0 });
  // Every process's data dir, removed at the end: a killed or drained one keeps its own.
  const started: Replica[] = [...set.replicas];
  cleanups.push(async () => {
    await set.stop();
    await Promise.all(started.map((r) => rm(r.process.dataDir, { recursive: true, force: true })));
  });
  const start = async (role: 'api' | 'controller'): Promise<Replica> => {
    const replica = await set.start(role);
    started.push(replica);
    return replica;
  };
  const rest = await Promise.allSettled([start('api'), start('controller')]);
  for (const result of rest) if (result.status === 'rejected') throw result.reason;

  const db = new pg.Client({ connectionString: database.url });
  await db.connect();
  cleanups.push(() => db.end());

  const origin = set.balancer.origin;
  const cookie = await signInLocal(origin);
  const call = jsonCaller(origin, cookie);

  const projects = [
    await call<{ id: string; namespace: string }>('POST', '/api/projects', { name: 'bench' }),
    await call<{ id: string; namespace: string }>('POST', '/api/projects', { name: 'bench-b' }),
  ];
  const services: Service[] = [];
  for (let i = 0; i < SERVICES; i += 1) {
    const name = `svc-${String(i)}`;
    const project = projects[i % projects.length] as { id: string };
    const created = await call<{ id: string; webhookSecret: string }>('POST', `/api/projects/${project.id}/services`, {
      name,
      repoUrl: `https://github.com/acme/${name}`,
      port: 8080,
    });
    services.push({ id: created.id, name, webhookSecret: created.webhookSecret });
  }

  /** One signed push to `service`; its answer time, or why it failed. */
  const deliver = async (service: Service): Promise<{ ms: number; failure?: string }> => {
    const body = JSON.stringify(pushPayload({ repo: `acme/${service.name}`, ref: 'refs/heads/main', after: randomSha(), message: 'ship it' }));
    const headers = deliveryHeaders(service.webhookSecret, body, 'push');
    const sent = performance.now();
    try {
      const res = await fetch(`${origin}/webhooks/github/${service.id}`, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) });
      const text = await res.text();
      const took = performance.now() - sent;
      return res.status === 202 ? { ms: took } : { ms: took, failure: `${String(res.status)} ${text.slice(0, 200)}` };
    } catch (error) {
      return { ms: performance.now() - sent, failure: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
  };

  let nextPort = 10_000;
  /** A user change that is one commit: the service's port (its Service manifest changes). */
  const change = (service: Service) => call('PATCH', `/api/services/${service.id}`, { port: (nextPort += 1) });
  const lastIntent = async () => Number((await db.query<{ id: string | null }>('SELECT max(id) AS id FROM state_intents')).rows[0]?.id ?? 0);

  // Warm-up, not counted: each replica's first requests (JIT, pools).
  for (let i = 0; i < 10; i += 1) await deliver(services[i % SERVICES] as Service);
  for (let i = 0; i < 4; i += 1) await change(services[0] as Service);

  // 1. Rolling restart of both api replicas while deliveries arrive.
  log(`rolling restart: ${String(RATE)} deliveries/s for ${String(SECONDS)} s…`);
  const deliveryRows = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM webhook_deliveries')).rows[0]?.n ?? 0);
  const rowsBefore = await deliveryRows();
  const total = Math.round(SECONDS * RATE);
  const answers: Promise<{ ms: number; failure?: string }>[] = [];
  const t0 = performance.now() + 50;
  const sender = (async () => {
    for (let i = 0; i < total; i += 1) {
      const wait = t0 + (i * 1000) / RATE - performance.now();
      if (wait > 0) await sleep(wait);
      answers.push(deliver(services[i % SERVICES] as Service));
    }
  })();
  const restarts: { startedS: number; tookS: number }[] = [];
  const rollingRestart = async () => {
    const begun = performance.now();
    for (const old of set.apis()) {
      // maxSurge 1, maxUnavailable 0: the new replica is ready (listening, in the balancer) before the old one leaves.
      await start('api');
      await set.stopApi(old);
    }
    restarts.push({ startedS: (begun - t0) / 1000, tookS: (performance.now() - begun) / 1000 });
    log(`  rolling restart ${String(restarts.length)}: at ${((begun - t0) / 1000).toFixed(1)} s, took ${((performance.now() - begun) / 1000).toFixed(1)} s`);
  };
  await sleep(Math.max(0, t0 + (SECONDS * 1000) / 6 - performance.now()));
  await rollingRestart();
  // A second one, if it can finish (as long as the first took) before the deliveries stop.
  const second = t0 + (SECONDS * 1000 * 35) / 60;
  const firstMs = (restarts[0]?.tookS ?? 0) * 1000;
  if (Math.max(second, performance.now()) + firstMs < t0 + SECONDS * 1000) {
    await sleep(Math.max(0, second - performance.now()));
    await rollingRestart();
  } else {
    log('  no time left in the window for a second rolling restart');
  }
  await sender;
  const delivered = await Promise.all(answers);
  const failures = delivered.filter((d) => d.failure !== undefined);
  for (const [i, f] of failures.slice(0, 10).entries()) log(`  failure ${String(i + 1)}: ${f.failure ?? ''}`);
  const latencies = ascending(delivered.map((d) => d.ms));
  const recorded = (await deliveryRows()) - rowsBefore;

  // 2. Leader killed → the standby leads, and a change made right after the kill is committed.
  log(`failover: 1 api + 2 controllers, ${String(FAILOVERS)} kills of the leader…`);
  await start('controller');
  const [extraApi] = set.apis();
  if (extraApi) await set.stopApi(extraApi);
  const toLeading: number[] = [];
  const toCommitted: number[] = [];
  for (let i = 0; i < FAILOVERS; i += 1) {
    const leader = await set.leader();
    const standby = set.controllers().find((c) => c !== leader);
    if (!standby) throw new Error('no standby controller');
    // The standby is up and waiting (not leading) before the kill.
    await until(async () => !(await leaderOf(standby)), 'the standby to answer as a standby', 30_000);
    const before = await lastIntent();
    const killedAt = Date.now();
    const killed = performance.now();
    await set.kill(leader);
    const changed = change(services[1] as Service).then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    const leadingAt = await until(async () => ((await leaderOf(standby)) ? performance.now() : false), 'the standby to lead', 60_000, 20);
    const leading = leadingAt - killed;
    const committed = await until(
      async () => {
        const row = (
          await db.query<{ done_ms: string | null; error: string | null }>(
            `SELECT extract(epoch FROM done_at) * 1000 AS done_ms, error FROM state_intents WHERE id > $1 ORDER BY id LIMIT 1`,
            [before],
          )
        ).rows[0];
        if (row?.error) throw new Error(`the change failed: ${row.error}`);
        return row?.done_ms === null || row?.done_ms === undefined ? false : Number(row.done_ms) - killedAt;
      },
      'the change made after the kill to be committed',
      60_000,
      20,
    );
    const answer = await changed;
    if (answer !== undefined) throw new Error(`the change made after the kill was refused: ${answer}`);
    toLeading.push(leading);
    toCommitted.push(committed);
    log(`  failover ${String(i + 1)}: standby leading after ${s(leading)} s, the change committed ${s(committed)} s after the kill`);
    await start('controller');
  }

  // 2b. Leader SIGTERMed (a rolling update of the controller) → it hands the lock over.
  log(`handover: ${String(FAILOVERS)} graceful stops of the leader…`);
  const toHandedOver: number[] = [];
  for (let i = 0; i < FAILOVERS; i += 1) {
    const leader = await set.leader();
    const standby = set.controllers().find((c) => c !== leader);
    if (!standby) throw new Error('no standby controller');
    await until(async () => !(await leaderOf(standby)), 'the standby to answer as a standby', 30_000);
    const terminated = performance.now();
    leader.process.terminate();
    const leadingAt = await until(async () => ((await leaderOf(standby)) ? performance.now() : false), 'the standby to lead', 60_000, 20);
    toHandedOver.push(leadingAt - terminated);
    await leader.process.exited;
    log(`  handover ${String(i + 1)}: standby leading ${s(leadingAt - terminated)} s after the SIGTERM`);
    await start('controller');
  }

  // 3. User change → commit, through the outbox: 1 api + 1 controller.
  log(`outbox: 1 api + 1 controller, ${String(CHANGES)} sequential changes…`);
  const leader = await set.leader();
  for (const standby of set.controllers().filter((c) => c !== leader)) await standby.process.stop();
  const service = services[2] as Service;
  for (let i = 0; i < 5; i += 1) await change(service); // warm-up
  const first = await lastIntent();
  const walls: number[] = [];
  for (let i = 0; i < CHANGES; i += 1) {
    const sent = performance.now();
    await change(service);
    walls.push(performance.now() - sent);
  }
  const intents = (
    await db.query<{ ms: string | null; commit: string | null; error: string | null }>(
      `SELECT extract(epoch FROM done_at - created_at) * 1000 AS ms, commit, error FROM state_intents WHERE id > $1 ORDER BY id`,
      [first],
    )
  ).rows;
  const pending = intents.filter((r) => r.ms === null).length;
  const failed = intents.filter((r) => r.error !== null).length;
  const commits = new Set(intents.map((r) => r.commit).filter((c) => c !== null)).size;
  const outbox = ascending(intents.filter((r) => r.ms !== null).map((r) => Number(r.ms)));
  const wallsSorted = ascending(walls);

  const leadingSorted = ascending(toLeading);
  const committedSorted = ascending(toCommitted);
  const handedOverSorted = ascending(toHandedOver);
  process.stdout.write(
    [
      '',
      `### Replicas (${String(cpus().length)} cores, every process on this machine, one embedded PostgreSQL, no cluster)`,
      '',
      `#### 1. Rolling restart of both api replicas (maxSurge 1, maxUnavailable 0) while push deliveries arrive at ${String(RATE)}/s for ${String(SECONDS)} s`,
      '',
      '| measure | value |',
      '| --- | ---: |',
      `| deliveries sent | ${String(delivered.length)} |`,
      `| failed (not 202, or no answer; target 0) | ${String(failures.length)} |`,
      `| delivery rows recorded (each 202 is one) | ${String(recorded)} |`,
      `| answer p50 / p99 / max (ms) | ${ms(at(latencies, 0.5))} / ${ms(at(latencies, 0.99))} / ${ms(latencies.at(-1) ?? Number.NaN)} |`,
      `| rolling restarts in the window (start s → took s) | ${restarts.map((r) => `${r.startedS.toFixed(1)} → ${r.tookS.toFixed(1)}`).join(', ')} |`,
      '',
      `#### 2. Leader SIGKILLed or SIGTERMed → standby active (1 api + 2 controllers, n = ${String(FAILOVERS)} each)`,
      '',
      '| measure | p50 s | max s | target |',
      '| --- | ---: | ---: | ---: |',
      `| kill → the standby's /status says leading | ${s(at(leadingSorted, 0.5))} | ${s(leadingSorted.at(-1) ?? Number.NaN)} | ≤ 15 |`,
      `| kill → a change made right after it is committed | ${s(at(committedSorted, 0.5))} | ${s(committedSorted.at(-1) ?? Number.NaN)} | ≤ 15 |`,
      `| SIGTERM → the standby's /status says leading (graceful handover) | ${s(at(handedOverSorted, 0.5))} | ${s(handedOverSorted.at(-1) ?? Number.NaN)} | ≤ 2 |`,
      '',
      `#### 3. User change (a service's port) → commit through the outbox (1 api + 1 controller, ${String(CHANGES)} sequential changes)`,
      '',
      '| measure | n | p50 ms | p99 ms | max ms | target |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      `| intent created_at → done_at (committed), from the database | ${String(outbox.length)} | ${ms(at(outbox, 0.5))} | ${ms(at(outbox, 0.99))} | ${ms(outbox.at(-1) ?? Number.NaN)} | p50 ≤ 100 |`,
      `| the request, sent → answered (it waits for the commit) | ${String(wallsSorted.length)} | ${ms(at(wallsSorted, 0.5))} | ${ms(at(wallsSorted, 0.99))} | ${ms(wallsSorted.at(-1) ?? Number.NaN)} | |`,
      '',
      `Intents: ${String(intents.length)} for ${String(CHANGES)} changes, ${String(commits)} distinct commits, ${String(pending)} not committed, ${String(failed)} with an error.`,
      '',
    ].join('\n'),
  );
  if (failures.length > 0 || recorded !== delivered.length - failures.length || intents.length !== CHANGES || pending > 0 || failed > 0) process.exitCode = 1;
}

await cleanUp.run(main);
