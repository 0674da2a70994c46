/**
 * The activity log's retention (issue 36) on the real PostgreSQL: `ACTIVITY_RETENTION_DAYS`
 * is a setting, the leading controller deletes the entries past it (on a clock the test
 * hands in, and with rows dated back), and a request writing an entry deletes nothing.
 */
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { as, makeTeam, type TeamFixture } from './support/team-fixture.js';

describe('activity log retention', () => {
  let t: TestPlatform;
  let f: TeamFixture;

  beforeAll(async () => {
    t = await startTestPlatform({ ACTIVITY_RETENTION_DAYS: '30' });
    f = await makeTeam(t);
  });
  afterAll(async () => {
    await t.close();
  });

  const entries = async () =>
    (await t.db.query<{ action: string }[]>(`SELECT action FROM activity_log WHERE team_id = $1 ORDER BY id`, [f.teamId])).map((r) => r.action);

  it('the leader deletes entries older than the setting, and only those; a request deletes none', async () => {
    const before = await entries();
    expect(before.length).toBeGreaterThan(3);
    // Two entries dated back: 31 days (past 30) and 29 days (within).
    const rows = await t.db.query<{ id: string }[]>(`SELECT id::text AS id FROM activity_log WHERE team_id = $1 ORDER BY activity_log.id LIMIT 2`, [f.teamId]);
    await t.db.query(`UPDATE activity_log SET created_at = now() - interval '31 days' WHERE id = $1`, [rows[0]?.id]);
    await t.db.query(`UPDATE activity_log SET created_at = now() - interval '29 days' WHERE id = $1`, [rows[1]?.id]);
    // A new entry through a request: the old one stays (no pruning in a request's transaction).
    await as(t, f.cookies.alice).post(`/teams/${f.teamId}/invitations`, { role: 'viewer' }).expect(201);
    expect(await t.db.query(`SELECT 1 FROM activity_log WHERE id = $1`, [rows[0]?.id])).toHaveLength(1);
    // The leader's pass: the 31-day-old entry goes, the 29-day-old stays.
    expect(await t.controller.pruneActivity?.()).toBe(1);
    expect(await t.db.query(`SELECT 1 FROM activity_log WHERE id = $1`, [rows[0]?.id])).toEqual([]);
    expect(await t.db.query(`SELECT 1 FROM activity_log WHERE id = $1`, [rows[1]?.id])).toHaveLength(1);
    // With the clock two days on, the 29-day-old one is past 30 days too; nothing newer goes.
    const later = new Date(Date.now() + 2 * 86_400_000);
    expect(await t.controller.pruneActivity?.(later)).toBe(1);
    expect(await entries()).toEqual([...before.slice(2), 'invitation.create']);
  });

  it('the setting is read at start-up: a value out of range stops it with the reason', async () => {
    const { loadConfig } = await import('../src/config/config.js');
    expect(() => loadConfig({ ACTIVITY_RETENTION_DAYS: '0', NODE_ENV: 'test' })).toThrow(/ACTIVITY_RETENTION_DAYS/);
  });
});
