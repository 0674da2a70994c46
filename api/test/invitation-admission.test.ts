/**
 * Invitations and the sign-in allowlist (issue 36), through the real OAuth flow against the
 * fake GitHub: an invitation lets no one past the allowlist, unless a platform admin marks
 * it so; then that login alone signs in while the invitation is open, and joins the team.
 */
import request from 'supertest';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { as } from './support/team-fixture.js';

const refused = (location: string) => new URL(location, ORIGIN).searchParams.get('refused');

describe('invitations and the sign-in allowlist', () => {
  let t: TestPlatform;
  let admin = '';
  let owner = '';
  let teamId = '';

  beforeAll(async () => {
    t = await startTestPlatform({ ALLOWED_GITHUB_USERS: 'olga', ADMIN_GITHUB_USERS: 'root' });
    admin = await t.signIn('root', 1);
    owner = await t.signIn('olga', 2);
    teamId = (await as(t, owner).post('/teams', { name: 'Acme', slug: 'acme' }).expect(201)).body.id as string;
    // The admin is an owner of the team too (made so directly: how is not what this tests).
    const [root] = await t.db.query<{ id: string }[]>(`SELECT id FROM users WHERE github_username = 'root'`);
    await t.db.query(`INSERT INTO team_members (team_id, user_id, role) VALUES ($1, $2, 'owner')`, [teamId, root?.id]);
  });
  afterAll(async () => {
    await t.close();
  });

  it('without the admin\'s mark, the invited login is still refused at sign-in', async () => {
    // By the team's owner, and by an admin who does not mark it.
    await as(t, owner).post(`/teams/${teamId}/invitations`, { role: 'developer', githubLogin: 'paula' }).expect(201);
    const inv = await as(t, admin).post(`/teams/${teamId}/invitations`, { role: 'developer', githubLogin: 'paula' }).expect(201);
    expect(inv.body.admitOutsideAllowlist).toBe(false);
    const attempt = await t.attemptSignIn('paula', 3);
    expect(refused(attempt.location)).toBe('@paula is not allowed on this platform: ask its admin');
    expect(await t.db.query(`SELECT 1 FROM users WHERE github_username = 'paula'`)).toEqual([]);
  });

  it('only a platform admin may mark an invitation, and only one by login', async () => {
    const byOwner = await as(t, owner).post(`/teams/${teamId}/invitations`, { role: 'developer', githubLogin: 'quinn', admitOutsideAllowlist: true });
    expect(byOwner.status).toBe(403);
    expect(byOwner.body.error.code).toBe('admin_only');
    const link = await as(t, admin).post(`/teams/${teamId}/invitations`, { role: 'developer', admitOutsideAllowlist: true });
    expect(link.status).toBe(400);
    expect(Object.keys(link.body.error.fields as object)).toEqual(['admitOutsideAllowlist']);
    const bad = await as(t, admin).post(`/teams/${teamId}/invitations`, { role: 'developer', githubLogin: 'quinn', admitOutsideAllowlist: 'yes' });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.error.fields as object)).toEqual(['admitOutsideAllowlist']);
    expect(await t.db.query(`SELECT 1 FROM team_invitations WHERE github_login = 'quinn'`)).toEqual([]);
  });

  it('with the admin\'s mark, that login signs in while it is open and joins; another login is still refused', async () => {
    const inv = await as(t, admin).post(`/teams/${teamId}/invitations`, { role: 'developer', githubLogin: 'Rita', admitOutsideAllowlist: true }).expect(201);
    expect(inv.body.admitOutsideAllowlist).toBe(true);
    expect(refused((await t.attemptSignIn('sam', 5)).location)).toBe('@sam is not allowed on this platform: ask its admin');
    const rita = await t.signIn('rita', 4);
    const approved = async (login: string) => (await t.db.query<{ approved: boolean }[]>(`SELECT approved FROM users WHERE github_username = $1`, [login]))[0]?.approved;
    // Let in while the invitation is open, not for good: accepting it is what approves the account.
    expect(await approved('rita')).toBe(false);
    await request(t.app).post('/api/invitations/accept').set({ Cookie: rita, Origin: ORIGIN }).send({ token: inv.body.token as string }).expect(200);
    expect((await as(t, rita).get(`/teams/${teamId}`).expect(200)).body.role).toBe('developer');
    expect(await approved('rita')).toBe(true);
    await t.signIn('rita', 4);
  });

  it('a marked invitation never accepted admits no more once it expires, though its login signed in before', async () => {
    await as(t, admin).post(`/teams/${teamId}/invitations`, { role: 'viewer', githubLogin: 'vera', admitOutsideAllowlist: true }).expect(201);
    await t.signIn('vera', 8);
    await t.db.query(`UPDATE team_invitations SET expires_at = now() - interval '1 second' WHERE github_login = 'vera'`);
    expect(refused((await t.attemptSignIn('vera', 8)).location)).toBe('@vera is not allowed on this platform: ask its admin');
  });

  it('an expired marked invitation, or one whose admin is no longer one, admits no one', async () => {
    await as(t, admin).post(`/teams/${teamId}/invitations`, { role: 'viewer', githubLogin: 'tom', admitOutsideAllowlist: true }).expect(201);
    await t.db.query(`UPDATE team_invitations SET expires_at = now() - interval '1 second' WHERE github_login = 'tom'`);
    expect(refused((await t.attemptSignIn('tom', 6)).location)).toBe('@tom is not allowed on this platform: ask its admin');
    await as(t, admin).post(`/teams/${teamId}/invitations`, { role: 'viewer', githubLogin: 'uma', admitOutsideAllowlist: true }).expect(201);
    await t.db.query(`UPDATE users SET role = 'member' WHERE github_username = 'root'`);
    try {
      expect(refused((await t.attemptSignIn('uma', 7)).location)).toBe('@uma is not allowed on this platform: ask its admin');
    } finally {
      await t.db.query(`UPDATE users SET role = 'admin' WHERE github_username = 'root'`);
    }
  });
});
