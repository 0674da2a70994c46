/**
 * What re-checking proven repository bindings costs (github/binding-recheck.ts): with
 * `--services` bound services (one made through the API, its row copied), how long
 * - the leading controller's query of the due bindings takes when none is due, and when
 *   every proof is stale (it returns at most 500 per pass);
 * - a build's check of a fresh proof takes (one SQL statement, no GitHub call);
 * - a re-check that asks (the fake) GitHub with the prover's token and proves again takes.
 * Real PostgreSQL (embedded, migrated), the real process of role `all` (startTestPlatform),
 * GitHub the fake on loopback: the GitHub figure is the platform's side, not GitHub's latency.
 *
 * `node --import tsx api/bench/binding-recheck.ts [--services 5000]` after `npm run build`.
 */
import { parseArgs } from 'node:util';
import request from 'supertest';
import { dueBindings, recheckBinding } from '../src/github/binding-recheck.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from '../test/support/platform.js';
import { setupPostgres } from '../test/support/postgres-setup.js';
import { teardownPostgres } from '../test/support/postgres-teardown.js';
import type { FakeApp } from '../test/support/fake-github-app.js';

const { values: args } = parseArgs({ options: { services: { type: 'string', default: '5000' } } });
const SERVICES = Number(args.services);

/** The manifest flow as the System page runs it (github-app-flow.ts, without Jest's expect). */
async function connect(t: TestPlatform, cookie: string): Promise<FakeApp> {
  const begin = await request(t.app).post('/api/system/github-app/manifest').set('Cookie', cookie).set('Origin', ORIGIN).send({ owner: 'user' });
  const { action, manifest } = begin.body as { action: string; manifest: string };
  const posted = await fetch(action, { method: 'POST', body: new URLSearchParams({ manifest }), redirect: 'manual' });
  const back = new URL(posted.headers.get('location') ?? '');
  await request(t.app).get(`${back.pathname}${back.search}`).set('Cookie', cookie);
  const [app] = [...t.github.app.apps.values()];
  if (!app) throw new Error('the App was not connected');
  return app;
}

async function timed(runs: number, step: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < runs; i += 1) await step();
  return (performance.now() - start) / runs;
}

async function main(): Promise<void> {
  await setupPostgres();
  const t = await startTestPlatform({ ADMIN_GITHUB_USERS: 'root' });
  try {
    const app = await connect(t, await t.signIn('root', 1));
    const alice = await t.signIn('alice', 5001);
    const secret = t.github.app.addRepository('alice/secret');
    const { delivery } = t.github.app.install(app, { login: 'alice', id: 5001, type: 'User' }, [secret]);
    await request(t.app).post('/webhooks/github').set(delivery.headers).send(delivery.body);
    const api = (path: string, body: object) => request(t.app).post(`/api${path}`).set('Cookie', alice).set('Origin', ORIGIN).send(body);
    const project = ((await api('/projects', { name: 'bench' })).body as { id: string }).id;
    const service = ((await api(`/projects/${project}/services`, { name: 'web', repoUrl: 'https://github.com/alice/secret', port: 8080 })).body as { id: string }).id;
    await t.db.query(
      `INSERT INTO services SELECT (jsonb_populate_record(null::services, to_jsonb(s) || jsonb_build_object('id', gen_random_uuid(), 'name', 'm' || g, 'host', 'h' || g || 'x'))).*
         FROM services s, generate_series(1, $2::int) g WHERE s.id = $1`,
      [service, SERVICES - 1],
    );
    await t.db.query('ANALYZE services');
    const deps = { db: t.db, encryptor: t.encryptor, githubApp: t.ctx.githubApp };
    const noneDue = await timed(20, () => dueBindings(t.db));
    const buildFresh = await timed(200, () => recheckBinding(deps, service, { onlyIfDue: true }));
    await t.db.query(`UPDATE services SET repository_proven_at = now() - interval '2 days'`);
    const allDue = await timed(20, () => dueBindings(t.db));
    const asked = await timed(50, async () => {
      await t.db.query(`UPDATE services SET repository_proven_at = now() - interval '2 days' WHERE id = $1`, [service]);
      const { outcome } = await recheckBinding(deps, service, { onlyIfDue: true });
      if (outcome !== 'reproven') throw new Error(`expected the binding proven again, got ${outcome}`);
    });
    const rows = [
      ['due bindings query, none due', noneDue],
      ['due bindings query, every proof stale (500 returned)', allDue],
      ['a build\'s check of a fresh proof', buildFresh],
      ['a re-check asking GitHub (fake, loopback), proven again', asked],
    ] as const;
    process.stdout.write(`\n${String(SERVICES)} bound services\n\n| what | mean (ms) |\n| --- | ---: |\n`);
    for (const [what, ms] of rows) process.stdout.write(`| ${what} | ${ms.toFixed(2)} |\n`);
  } finally {
    await t.close();
    await teardownPostgres();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
