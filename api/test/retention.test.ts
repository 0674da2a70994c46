// History retention per service, on real PostgreSQL.
import request from 'supertest';
import { applyRetention } from '../src/use-cases/retention.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';

describe('retention', () => {
  let t: TestPlatform;
  let serviceId: string;

  beforeAll(async () => {
    t = await startTestPlatform();
    const cookie = await t.signIn('keeper', 1);
    const project = await request(t.app).post('/api/projects').set({ Cookie: cookie, Origin: ORIGIN }).send({ name: 'history' }).expect(201);
    const service = await request(t.app)
      .post(`/api/projects/${project.body.id as string}/services`)
      .set({ Cookie: cookie, Origin: ORIGIN })
      .send({ name: 'web', repoUrl: 'https://github.com/keeper/web', port: 80 })
      .expect(201);
    serviceId = service.body.id as string;
  });
  afterAll(async () => {
    await t.close();
  });

  it('keeps the newest deployments, the current one and those in flight; clears old logs; caps accepted deliveries', async () => {
    // 12 deployments, one a minute apart, oldest first; the oldest is current, the second oldest still building.
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const [row] = await t.db.query<{ id: string }[]>(
        `INSERT INTO deployments (service_id, commit_sha, status, trigger, build_logs, created_at)
         VALUES ($1, $2, $3, 'push', 'log', now() - make_interval(mins => $4)) RETURNING id`,
        [serviceId, String(i).padStart(40, 'a'), i === 1 ? 'building' : 'failed', 12 - i],
      );
      ids.push(row?.id ?? '');
    }
    await t.db.query(`UPDATE deployments SET status = 'live' WHERE id = $1`, [ids[0]]);
    await t.db.query(`UPDATE services SET current_deployment_id = $2 WHERE id = $1`, [serviceId, ids[0]]);
    // The current one is old enough for its log to go (the row stays).
    await t.db.query(`UPDATE deployments SET created_at = now() - interval '100 days' WHERE id = $1`, [ids[0]]);
    for (let i = 0; i < 8; i++) {
      await t.db.query(
        `INSERT INTO webhook_deliveries (service_id, delivery_id, event, outcome, status_code, response, received_at)
         VALUES ($1, $2, 'push', $3, 200, '{}', now() - make_interval(secs => $4))`,
        [serviceId, `d-${String(i)}`, i % 2 === 0 ? 'ignored' : 'rejected', 100 - i],
      );
    }

    const result = await applyRetention(t.db, { deploymentsPerService: 5, releasesPerService: 10, buildLogDays: 30, deliveriesPerService: 2 });

    const left = await t.db.query<{ id: string; build_logs: string | null }[]>(`SELECT id, build_logs FROM deployments WHERE service_id = $1`, [serviceId]);
    const leftIds = new Set(left.map((r) => r.id));
    // The newest five (7..11), the current one (0) and the one still building (1).
    expect([...leftIds].sort()).toEqual([ids[0], ids[1], ids[7], ids[8], ids[9], ids[10], ids[11]].sort());
    expect(result.deployments).toBe(5);
    expect(left.filter((r) => r.build_logs === null).map((r) => r.id)).toEqual([ids[0]]);
    expect(result.buildLogs).toBe(1);
    const deliveries = await t.db.query<{ delivery_id: string; outcome: string }[]>(
      `SELECT delivery_id, outcome FROM webhook_deliveries WHERE service_id = $1 ORDER BY received_at DESC`,
      [serviceId],
    );
    // The newest two accepted ones stay; refused ones are left to their own cap.
    expect(deliveries.filter((d) => d.outcome !== 'rejected').map((d) => d.delivery_id)).toEqual(['d-6', 'd-4']);
    expect(deliveries.filter((d) => d.outcome === 'rejected')).toHaveLength(4);
    expect(result.deliveries).toBe(2);
  });

  it('drops live events past a day and committed intents past a week; keeps newer ones and intents not yet committed', async () => {
    const [user] = await t.db.query<{ id: string }[]>(`SELECT id FROM users LIMIT 1`);
    const userId = user?.id ?? '';
    await t.db.query(
      `INSERT INTO deployment_events (user_id, payload, created_at) VALUES ($1, '{}', now() - interval '25 hours'), ($1, '{"new":true}', now() - interval '1 hour')`,
      [userId],
    );
    const change = JSON.stringify({ verb: 'update' });
    await t.db.query(
      `INSERT INTO state_intents (project_id, namespace, change, created_at, done_at) VALUES
         (gen_random_uuid(), 'ns-old', $1, now() - interval '8 days', now() - interval '8 days'),
         (gen_random_uuid(), 'ns-pending', $1, now() - interval '8 days', NULL),
         (gen_random_uuid(), 'ns-recent', $1, now() - interval '1 day', now() - interval '1 day')`,
      [change],
    );
    const result = await applyRetention(t.db, { deploymentsPerService: 100, releasesPerService: 10, buildLogDays: 30, deliveriesPerService: 100 });
    expect(result.events).toBe(1);
    expect(result.intents).toBe(1);
    expect(await t.db.query(`SELECT payload FROM deployment_events`)).toEqual([{ payload: { new: true } }]);
    // (The intents of the test's own changes, committed just now, stay too.)
    const intents = await t.db.query<{ namespace: string }[]>(`SELECT namespace FROM state_intents WHERE namespace LIKE 'ns-%' ORDER BY namespace`);
    expect(intents.map((i) => i.namespace)).toEqual(['ns-pending', 'ns-recent']);
  });

  it("drops a preview's whole build log past the days logs are kept; keeps a newer one and one still streaming", async () => {
    const logs: [string, boolean, number][] = [['old', true, 40], ['streaming', false, 40], ['recent', true, 2]];
    for (const [name, complete, days] of logs) {
      const [preview] = await t.db.query<{ id: string }[]>(
        `INSERT INTO previews (service_id, pr_number, host, state, head_sha, head_ref, fork, author, pr_updated_at, last_push_at)
         VALUES ($1, $2, $3, 'live', $4, $3, false, 'keeper', now(), now()) RETURNING id`,
        [serviceId, days + (complete ? 1 : 0), `web-pr-${name}`, name.padEnd(40, '0')],
      );
      await t.db.query(`INSERT INTO preview_build_logs (preview_id, head_sha, log, complete, started_at) VALUES ($1, $2, 'log', $3, now() - make_interval(days => $4))`, [
        preview?.id,
        name.padEnd(40, '0'),
        complete,
        days,
      ]);
    }
    const result = await applyRetention(t.db, { deploymentsPerService: 100, releasesPerService: 10, buildLogDays: 30, deliveriesPerService: 100 });
    expect(result.buildLogs).toBe(1);
    const left = await t.db.query<{ host: string }[]>(`SELECT p.host FROM preview_build_logs l JOIN previews p ON p.id = l.preview_id ORDER BY p.host`);
    expect(left.map((r) => r.host)).toEqual(['web-pr-recent', 'web-pr-streaming']);
    // The previews' rows stay.
    expect(await t.db.query(`SELECT count(*)::int AS n FROM previews WHERE service_id = $1`, [serviceId])).toEqual([{ n: 3 }]);
  });
});
