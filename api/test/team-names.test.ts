/**
 * A team's slug is stored as its account's `github_username`: it must never stand for a
 * person's login. A team named after a listed login that has not signed in yet does not
 * take that login's place: the person still signs in, as an admin when listed as one.
 */
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { as } from './support/team-fixture.js';

describe('a team named after a login', () => {
  let t: TestPlatform;
  beforeEach(async () => {
    t = await startTestPlatform({ ADMIN_GITHUB_USERS: 'root,alice', ALLOWED_GITHUB_USERS: 'mallory' });
  }, 90_000);
  afterEach(async () => {
    await t.close();
  });

  it('does not lock that login out: an admin listed by it still signs in, as an admin', async () => {
    const mallory = await t.signIn('mallory', 666);
    await as(t, mallory).post('/teams', { name: 'Alice', slug: 'alice' }).expect(201);

    const attempt = await t.attemptSignIn('alice', 4242);
    expect(attempt.location).toBe('/');
    const rows = await t.db.query<{ github_id: string; role: string; kind: string }[]>(
      `SELECT github_id::text AS github_id, role, kind FROM users WHERE lower(github_username) = 'alice' ORDER BY kind`,
    );
    expect(rows.map((r) => [r.kind, r.kind === 'person' ? r.github_id : 'team', r.kind === 'person' ? r.role : '-'])).toEqual([
      ['person', '4242', 'admin'],
      ['team', 'team', '-'],
    ]);
  });
});
