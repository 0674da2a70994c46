// Who may use the platform: the sign-in policy against the fake GitHub with
// several users and organizations, roles on every route, revocation, limits.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { pino } from 'pino';
import request from 'supertest';
import { loadConfig, type AccessPolicy } from '../src/config/config.js';
import { HttpHarborApi } from '../src/registry/harbor-api.js';
import { TenantRegistries } from '../src/registry/tenant-registries.js';
import { FakeHarbor } from './support/fake-harbor.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { RowLockBarrier } from './support/row-lock.js';

const exec = promisify(execFile);

/** The policy settings alone: the test platform opens sign-in unless told otherwise. */
const CLOSED = { ALLOWED_GITHUB_USERS: '' };

function refusedReason(location: string): string | null {
  return new URL(location, ORIGIN).searchParams.get('refused');
}

async function userRows(t: TestPlatform) {
  return t.db.query<{ github_username: string; role: string; status: string }[]>(`SELECT github_username, role, status FROM users ORDER BY created_at`);
}

describe('the sign-in policy', () => {
  it('with nothing listed: the first person becomes the admin, the next one is refused and asks, an admin allows them', async () => {
    const t = await startTestPlatform(CLOSED);
    try {
      const first = await t.signIn('founder', 1);
      expect((await request(t.app).get('/auth/me').set('Cookie', first).expect(200)).body.role).toBe('admin');

      const stranger = await t.attemptSignIn('Stranger', 2);
      expect(refusedReason(stranger.location)).toBe('@Stranger is not allowed on this platform: ask its admin');
      expect(stranger.cookie).toBe('');
      // No user row and no session beyond the request.
      expect((await userRows(t)).map((u) => u.github_username)).toEqual(['founder']);
      expect(await t.db.query(`SELECT count(*)::int AS n FROM sessions`)).toEqual([{ n: 1 }]);

      const requests = await request(t.app).get('/api/admin/access-requests').set('Cookie', first).expect(200);
      expect(requests.body).toEqual([
        { id: expect.any(String) as unknown, login: 'Stranger', avatarUrl: 'https://avatars.githubusercontent.com/u/2', requestedAt: expect.any(String) as unknown },
      ]);
      await request(t.app).post(`/api/admin/access-requests/${requests.body[0].id as string}/allow`).set({ Cookie: first, Origin: ORIGIN }).expect(204);

      const allowed = await t.signIn('Stranger', 2);
      expect((await request(t.app).get('/auth/me').set('Cookie', allowed).expect(200)).body.role).toBe('member');
      expect((await request(t.app).get('/api/admin/access-requests').set('Cookie', first).expect(200)).body).toEqual([]);
      // Let in once by an admin: in for good, until blocked.
      await t.signIn('Stranger', 2);
    } finally {
      await t.close();
    }
  });

  it('when two people sign in first at once on a fresh install, then exactly one becomes the admin', async () => {
    const t = await startTestPlatform(CLOSED);
    try {
      // The fake GitHub serves one user at a time: sign both in through the admission itself.
      const { admitSignIn } = await import('../src/use-cases/access.js');
      const config = loadConfig({ ...process.env, DATABASE_URL: 'postgres://x', ENCRYPTION_KEY: t.encryptionKey.toString('base64'), SESSION_SECRET: 'x'.repeat(32), ...CLOSED });
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          admitSignIn({ db: t.db, encryptor: t.encryptor }, config.access, { githubId: String(100 + i), login: `racer${String(i)}`, avatarUrl: null, accessToken: 'x' }, () =>
            Promise.resolve(false),
          ),
        ),
      );
      expect(results.filter((r) => r.admitted)).toHaveLength(1);
      expect((await userRows(t)).filter((u) => u.role === 'admin')).toHaveLength(1);
    } finally {
      await t.close();
    }
  });

  it.each([
    ['a listed user (any case) is admitted', { ALLOWED_GITHUB_USERS: 'alice,bob' }, 'ALICE', true],
    ['a user not listed is refused', { ALLOWED_GITHUB_USERS: 'alice,bob' }, 'mallory', false],
    ['an admin not otherwise listed is admitted', { ALLOWED_GITHUB_USERS: 'alice', ADMIN_GITHUB_USERS: 'root' }, 'root', true],
    ['a member of a listed organization is admitted', { ALLOWED_GITHUB_ORGS: 'acme' }, 'carol', true],
    ['a non-member of the listed organization is refused', { ALLOWED_GITHUB_ORGS: 'acme' }, 'mallory', false],
  ])('%s', async (_label, env, login, admitted) => {
    const t = await startTestPlatform({ ...CLOSED, ...env });
    try {
      t.github.orgs.set('acme', new Set(['carol', 'dave']));
      const attempt = await t.attemptSignIn(login, 500 + login.length);
      expect(attempt.location === '/').toBe(admitted);
      expect(attempt.cookie !== '').toBe(admitted);
      // read:org is asked for only when organizations decide.
      expect(t.github.lastScopes.includes('read:org')).toBe('ALLOWED_GITHUB_ORGS' in env);
    } finally {
      await t.close();
    }
  });

  it('checks organization membership at every sign-in: revoked between two sign-ins, refused; GitHub down, refused with a message', async () => {
    const t = await startTestPlatform({ ...CLOSED, ALLOWED_GITHUB_ORGS: 'acme', ADMIN_GITHUB_USERS: 'root' });
    try {
      t.github.orgs.set('acme', new Set(['carol']));
      expect((await t.attemptSignIn('carol', 7)).location).toBe('/');
      t.github.orgs.set('acme', new Set());
      expect(refusedReason((await t.attemptSignIn('carol', 7)).location)).toBe('@carol is not allowed on this platform: ask its admin');
      t.github.orgs.set('acme', new Set(['carol']));
      t.github.failMembershipWith = 500;
      const down = await t.attemptSignIn('carol', 7);
      expect(refusedReason(down.location)).toBe('GitHub could not confirm your membership of acme right now: try again in a minute');
      expect(down.cookie).toBe('');
    } finally {
      await t.close();
    }
  });

  it('refuses an invited member who has not accepted (GitHub answers membership pending), and admits them once they accept', async () => {
    const t = await startTestPlatform({ ...CLOSED, ALLOWED_GITHUB_ORGS: 'acme' });
    try {
      t.github.orgs.set('acme', new Set(['carol']));
      t.github.invitations.set('acme', new Set(['erin']));
      const invited = await t.attemptSignIn('erin', 8);
      expect(refusedReason(invited.location)).toBe('@erin is not allowed on this platform: ask its admin');
      expect(invited.cookie).toBe('');
      expect((await userRows(t)).map((u) => u.github_username)).not.toContain('erin');

      t.github.invitations.set('acme', new Set());
      t.github.orgs.set('acme', new Set(['carol', 'erin']));
      const accepted = await t.attemptSignIn('erin', 8);
      expect(accepted.location).toBe('/');
      expect(accepted.cookie).not.toBe('');
    } finally {
      await t.close();
    }
  });
});

describe('logins GitHub recycles', () => {
  it("refuses a new account that took a listed login, saying what an admin can do; the pins show on the Users page", async () => {
    const t = await startTestPlatform({ ...CLOSED, ADMIN_GITHUB_USERS: 'alice', ALLOWED_GITHUB_USERS: 'bob' });
    try {
      const alice = await t.signIn('alice', 1);
      await t.signIn('Bob', 2);
      // alice and bob renamed their accounts; two new accounts took their old logins.
      const asAdmin = await t.attemptSignIn('alice', 666);
      expect(refusedReason(asAdmin.location)).toBe(
        'The login alice was first used by GitHub account #1; this account is #666. If this account should have that access, an admin replaces alice by id:666 in ADMIN_GITHUB_USERS.',
      );
      expect(asAdmin.cookie).toBe('');
      const asUser = await t.attemptSignIn('bob', 777);
      expect(refusedReason(asUser.location)).toBe(
        'The login bob was first used by GitHub account #2; this account is #777. If this account should have that access, an admin replaces bob by id:777 in ALLOWED_GITHUB_USERS.',
      );
      // No user row, no session, and no access request an admin could take for alice's.
      expect((await userRows(t)).map((u) => u.github_username)).toEqual(['alice', 'Bob']);
      expect(await t.db.query(`SELECT count(*)::int AS n FROM sessions`)).toEqual([{ n: 2 }]);
      expect(await t.db.query(`SELECT login FROM access_requests`)).toEqual([]);
      expect(await t.db.query(`SELECT login, github_id::int AS id FROM github_login_pins ORDER BY login`)).toEqual([
        { login: 'alice', id: 1 },
        { login: 'bob', id: 2 },
      ]);

      const users = (await request(t.app).get('/api/admin/users').set('Cookie', alice).expect(200)).body as { githubUsername: string; githubId: string; pinnedLogins: string[] }[];
      expect(users.map(({ githubUsername, githubId, pinnedLogins }) => ({ githubUsername, githubId, pinnedLogins }))).toEqual([
        { githubUsername: 'alice', githubId: '1', pinnedLogins: ['alice'] },
        { githubUsername: 'Bob', githubId: '2', pinnedLogins: ['bob'] },
      ]);
      // The account the login was pinned to still gets in.
      expect((await request(t.app).get('/auth/me').set('Cookie', await t.signIn('alice', 1)).expect(200)).body.role).toBe('admin');

      // The remedy the message gives: with alice replaced by id:666, the new account is the admin.
      const { admitSignIn } = await import('../src/use-cases/access.js');
      const replaced = { admins: new Set(['id:666']), allowedUsers: new Set(['bob']), allowedOrgs: [] };
      const admitted = await admitSignIn({ db: t.db, encryptor: t.encryptor }, replaced, { githubId: '666', login: 'alice', avatarUrl: null, accessToken: 'x' }, () =>
        Promise.resolve(false),
      );
      expect(admitted.admitted).toBe(true);
      expect(await t.db.query(`SELECT role FROM users WHERE github_id = 666`)).toEqual([{ role: 'admin' }]);
    } finally {
      await t.close();
    }
  });

  it('pins a login listed later (or before pins existed) to the account that used it here first', async () => {
    const t = await startTestPlatform(CLOSED);
    try {
      const { admitSignIn } = await import('../src/use-cases/access.js');
      const signIn = (policy: AccessPolicy, githubId: string, login: string) =>
        admitSignIn({ db: t.db, encryptor: t.encryptor }, policy, { githubId, login, avatarUrl: null, accessToken: 'x' }, () => Promise.resolve(false));
      expect((await signIn({ allowedUsers: 'anyone', allowedOrgs: [], admins: new Set(['root']) }, '5', 'Eve')).admitted).toBe(true);
      // eve renamed her account; the operator, meaning her, lists the login; a new account took it.
      const listed: AccessPolicy = { allowedUsers: new Set(['eve']), allowedOrgs: [], admins: new Set(['root']) };
      expect(await signIn(listed, '6', 'eve')).toEqual({
        admitted: false,
        reason: 'The login eve was first used by GitHub account #5; this account is #6. If this account should have that access, an admin replaces eve by id:6 in ALLOWED_GITHUB_USERS.',
      });
      expect(await t.db.query(`SELECT login, github_id::int AS id FROM github_login_pins`)).toEqual([{ login: 'eve', id: 5 }]);
    } finally {
      await t.close();
    }
  });

  it('an id:NNN entry names its account whatever its login: a renamed account keeps its access, its old login names no one', async () => {
    const t = await startTestPlatform({ ...CLOSED, ADMIN_GITHUB_USERS: 'id:1', ALLOWED_GITHUB_USERS: 'id:2,@Someone' });
    try {
      const me = async (cookie: string) => (await request(t.app).get('/auth/me').set('Cookie', cookie).expect(200)).body as { githubUsername: string; role: string };
      expect(await me(await t.signIn('alice', 1))).toEqual(expect.objectContaining({ githubUsername: 'alice', role: 'admin' }));
      expect(await me(await t.signIn('carol', 2))).toEqual(expect.objectContaining({ githubUsername: 'carol', role: 'member' }));

      expect(await me(await t.signIn('alice-renamed', 1))).toEqual(expect.objectContaining({ githubUsername: 'alice-renamed', role: 'admin' }));
      expect(await me(await t.signIn('carol-renamed', 2))).toEqual(expect.objectContaining({ githubUsername: 'carol-renamed', role: 'member' }));
      const taken = await t.attemptSignIn('alice', 3);
      expect(refusedReason(taken.location)).toBe('@alice is not allowed on this platform: ask its admin');
      expect(await t.db.query(`SELECT github_id::int AS id, github_username FROM users ORDER BY github_id`)).toEqual([
        { id: 1, github_username: 'alice-renamed' },
        { id: 2, github_username: 'carol-renamed' },
      ]);
      // Only login entries are pinned.
      expect(await t.db.query(`SELECT login FROM github_login_pins`)).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it.each([['id:'], ['id:12x'], ['id:-1'], ['ids:1']])('refuses %s in ADMIN_GITHUB_USERS at start-up', (entry) => {
    expect(() => loadConfig({ ADMIN_GITHUB_USERS: `alice,${entry}` })).toThrow(/ADMIN_GITHUB_USERS: Not a list of GitHub logins/);
  });
});

describe('a user removed from the settings', () => {
  it('loses every session when the api starts with the new settings; users an admin let in keep theirs', async () => {
    const t = await startTestPlatform({ ...CLOSED, ALLOWED_GITHUB_USERS: 'alice,bob,dave', ADMIN_GITHUB_USERS: 'root' });
    try {
      const alice = await t.signIn('alice', 11);
      const bob = await t.signIn('bob', 12);
      const root = await t.signIn('root', 13);
      const dave = await t.signIn('dave', 14);
      const { endSessionsOutsidePolicy } = await import('../src/use-cases/access.js');
      // The operator removes bob from ALLOWED_GITHUB_USERS, lists dave by his id, and restarts.
      const ended = await endSessionsOutsidePolicy(t.db, { allowedUsers: new Set(['alice', 'id:14']), allowedOrgs: [], admins: new Set(['root']) });
      expect(ended).toBe(1);
      await request(t.app).get('/api/projects').set('Cookie', bob).expect(401);
      await request(t.app).get('/api/projects').set('Cookie', dave).expect(200);
      await request(t.app).get('/api/projects').set('Cookie', alice).expect(200);
      await request(t.app).get('/api/projects').set('Cookie', root).expect(200);
    } finally {
      await t.close();
    }
  });
});

describe('roles, blocking and removal', () => {
  let t: TestPlatform;
  let admin: string;
  let member: string;
  let memberId: string;
  let adminId: string;

  beforeAll(async () => {
    t = await startTestPlatform({ ...CLOSED, ALLOWED_GITHUB_USERS: 'member1,member2,member3,member4', ADMIN_GITHUB_USERS: 'boss' });
    admin = await t.signIn('boss', 1);
    member = await t.signIn('member1', 2);
    const users = await t.db.query<{ id: string; github_username: string }[]>(`SELECT id, github_username FROM users`);
    memberId = users.find((u) => u.github_username === 'member1')?.id ?? '';
    adminId = users.find((u) => u.github_username === 'boss')?.id ?? '';
  });
  afterAll(async () => {
    await t.close();
  });

  const adminRoutes: [string, string][] = [
    ['GET', '/api/system/state-repo'],
    ['GET', '/api/system/applier'],
    ['GET', '/api/system/registry'],
    ['GET', '/api/admin/users'],
    ['GET', '/api/admin/limits'],
    ['GET', '/api/admin/access-requests'],
    ['POST', `/api/admin/users/{member}/promote`],
    ['POST', `/api/admin/users/{admin}/block`],
    ['POST', `/api/admin/users/{admin}/demote`],
    ['DELETE', `/api/admin/users/{admin}`],
    ['POST', `/api/admin/users/{member}/unblock`],
    ['POST', `/api/admin/access-requests/${randomUUID()}/allow`],
    ['POST', `/api/admin/access-requests/${randomUUID()}/dismiss`],
  ];

  it.each(adminRoutes)('a member calling %s %s gets 403 and nothing changes', async (method, path) => {
    const before = await userRows(t);
    const url = path.replace('{member}', memberId).replace('{admin}', adminId);
    const req = method === 'GET' ? request(t.app).get(url) : method === 'POST' ? request(t.app).post(url) : request(t.app).delete(url);
    const res = await req.set({ Cookie: member, Origin: ORIGIN }).expect(403);
    expect(res.body.error.code).toBe('admin_only');
    expect(await userRows(t)).toEqual(before);
  });

  it('an admin sees the users with their role, status, projects and last sign-in; /auth/me tells the UI the role', async () => {
    const res = await request(t.app).get('/api/admin/users').set('Cookie', admin).expect(200);
    expect(res.body).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ githubUsername: 'boss', role: 'admin', status: 'active', projects: 0, lastSignInAt: expect.any(String) as unknown }),
        expect.objectContaining({ githubUsername: 'member1', role: 'member', status: 'active' }),
      ]),
    );
    expect((await request(t.app).get('/auth/me').set('Cookie', member).expect(200)).body.role).toBe('member');
  });

  it.each([
    ['a user id that is not a uuid is a 404', 'not-a-uuid', 'block', 404],
    ['an unknown user is a 404', randomUUID(), 'block', 404],
    ['an unknown action is a 404', '{member}', 'obliterate', 404],
  ])('tampered ids and actions: %s', async (_label, id, action, status) => {
    const url = `/api/admin/users/${id.replace('{member}', memberId)}/${action}`;
    await request(t.app).post(url).set({ Cookie: admin, Origin: ORIGIN }).expect(status);
  });

  it('the last admin cannot be demoted, blocked or removed, also by concurrent requests', async () => {
    for (const action of ['demote', 'block']) {
      const res = await request(t.app).post(`/api/admin/users/${adminId}/${action}`).set({ Cookie: admin, Origin: ORIGIN }).expect(409);
      expect(res.body.error.message).toBe('This is the last admin of the platform: promote another user first.');
    }
    await request(t.app).delete(`/api/admin/users/${adminId}`).set({ Cookie: admin, Origin: ORIGIN }).expect(409);

    // Two admins demote each other at once: one of them stays.
    await request(t.app).post(`/api/admin/users/${memberId}/promote`).set({ Cookie: admin, Origin: ORIGIN }).expect(200);
    const answers = await Promise.all([
      request(t.app).post(`/api/admin/users/${memberId}/demote`).set({ Cookie: admin, Origin: ORIGIN }),
      request(t.app).post(`/api/admin/users/${adminId}/demote`).set({ Cookie: member, Origin: ORIGIN }),
    ]);
    // Either the second is refused as the last admin (409), or it finds itself demoted already (403).
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect([[403], [409]]).toContainEqual(answers.map((a) => a.status).filter((s) => s !== 200));
    const admins = (await userRows(t)).filter((u) => u.role === 'admin');
    expect(admins).toHaveLength(1);
    // Put things back: boss is the admin again, member1 a member.
    if (admins[0]?.github_username !== 'boss') {
      await t.signIn('boss', 1); // ADMIN_GITHUB_USERS makes boss an admin at sign-in
      await request(t.app).post(`/api/admin/users/${memberId}/demote`).set({ Cookie: admin, Origin: ORIGIN }).expect(200);
    }
  });

  it("blocking a user ends every session at once (the next request is 401, a live stream closes) and refuses their services' webhooks, recorded", async () => {
    const cookie = await t.signIn('member2', 3);
    const project = await request(t.app).post('/api/projects').set({ Cookie: cookie, Origin: ORIGIN }).send({ name: 'blocked' }).expect(201);
    const service = await request(t.app)
      .post(`/api/projects/${project.body.id as string}/services`)
      .set({ Cookie: cookie, Origin: ORIGIN })
      .send({ name: 'web', repoUrl: 'https://github.com/member2/web', port: 80 })
      .expect(201);
    const secret = (await request(t.app).get(`/api/services/${service.body.id as string}`).set('Cookie', cookie).expect(200)).body.webhookSecret as string;
    const server = t.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const [row] = await t.db.query<{ id: string }[]>(`SELECT id FROM users WHERE github_username = 'member2'`);
      const id = row?.id ?? '';
      const stream = fetch(`http://127.0.0.1:${String(port)}/api/events`, { headers: { Cookie: cookie } }).then(async (res) => {
        await res.text(); // resolves when the server closes the stream
        return res.status;
      });
      // The stream is open: it follows the user's events (and watches the session).
      await t.events.deploymentSubscribers(id);
      await request(t.app).post(`/api/admin/users/${id}/block`).set({ Cookie: admin, Origin: ORIGIN }).expect(200);
      // Closed by the block itself, before its answer, not at a later session check.
      expect(t.events.deploymentFollowers(id)).toBe(0);

      await request(t.app).get('/api/projects').set('Cookie', cookie).expect(401);
      expect(await stream).toBe(200);
      expect(refusedReason((await t.attemptSignIn('member2', 3)).location)).toBe('@member2 is blocked on this platform: ask its admin');

      const { deliveryHeaders, pushPayload } = await import('./support/webhook-payloads.js');
      const body = JSON.stringify(pushPayload({ repo: 'member2/web', ref: 'refs/heads/main' }));
      const hook = await request(t.app).post(`/webhooks/github/${service.body.id as string}`).set(deliveryHeaders(secret, body, 'push')).send(body).expect(403);
      expect(hook.body.error.message).toBe('The owner of this service is blocked on this platform: nothing is built.');
      const deliveries = await t.db.query<{ outcome: string; reason: string }[]>(`SELECT outcome, reason FROM webhook_deliveries WHERE service_id = $1`, [
        service.body.id,
      ]);
      expect(deliveries).toEqual([{ outcome: 'rejected', reason: 'The owner of this service is blocked on this platform: nothing is built.' }]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('unblocking a user lets them sign in again, approved, with a new session; their old sessions stay ended', async () => {
    const before = await t.signIn('member4', 5);
    const [row] = await t.db.query<{ id: string }[]>(`SELECT id FROM users WHERE github_username = 'member4'`);
    const id = row?.id ?? '';
    await request(t.app).post(`/api/admin/users/${id}/block`).set({ Cookie: admin, Origin: ORIGIN }).expect(200);
    expect(await t.db.query(`SELECT status FROM users WHERE id = $1`, [id])).toEqual([{ status: 'blocked' }]);
    expect(refusedReason((await t.attemptSignIn('member4', 5)).location)).toBe('@member4 is blocked on this platform: ask its admin');

    const res = await request(t.app).post(`/api/admin/users/${id}/unblock`).set({ Cookie: admin, Origin: ORIGIN }).expect(200);
    expect(res.body).toEqual(expect.objectContaining({ id, githubUsername: 'member4', role: 'member', status: 'active' }));
    expect(await t.db.query(`SELECT status, approved, role FROM users WHERE id = $1`, [id])).toEqual([{ status: 'active', approved: true, role: 'member' }]);
    // The sessions the block ended stay ended; a new sign-in gets in.
    await request(t.app).get('/api/projects').set('Cookie', before).expect(401);
    const after = await t.signIn('member4', 5);
    await request(t.app).get('/api/projects').set('Cookie', after).expect(200);
    // Unblocking an active user changes nothing.
    await request(t.app).post(`/api/admin/users/${id}/unblock`).set({ Cookie: admin, Origin: ORIGIN }).expect(200);
    expect(await t.db.query(`SELECT status, approved, role FROM users WHERE id = $1`, [id])).toEqual([{ status: 'active', approved: true, role: 'member' }]);
    await request(t.app).get('/api/projects').set('Cookie', after).expect(200);
  });

  it('dismissing an access request takes it off the list and lets no one in; a later attempt asks again', async () => {
    const requestRow = async () => t.db.query<{ id: string; status: string }[]>(`SELECT id, status FROM access_requests WHERE github_id = 6`);
    expect(refusedReason((await t.attemptSignIn('knocker', 6)).location)).toBe('@knocker is not allowed on this platform: ask its admin');
    const [asked] = await requestRow();
    const id = asked?.id ?? '';
    expect(asked?.status).toBe('pending');
    const listed = await request(t.app).get('/api/admin/access-requests').set('Cookie', admin).expect(200);
    expect((listed.body as { id: string; login: string }[]).filter((r) => r.login === 'knocker').map((r) => r.id)).toEqual([id]);

    await request(t.app).post(`/api/admin/access-requests/${id}/dismiss`).set({ Cookie: admin, Origin: ORIGIN }).expect(204);
    expect(await requestRow()).toEqual([{ id, status: 'dismissed' }]);
    const after = await request(t.app).get('/api/admin/access-requests').set('Cookie', admin).expect(200);
    expect((after.body as { login: string }[]).filter((r) => r.login === 'knocker')).toEqual([]);
    // Answered already, unknown, or not an id: 404, and the row is as it was.
    for (const other of [id, randomUUID(), 'not-a-uuid']) {
      const res = await request(t.app).post(`/api/admin/access-requests/${other}/dismiss`).set({ Cookie: admin, Origin: ORIGIN }).expect(404);
      expect(res.body.error.code).toBe('not_found');
    }
    await request(t.app).post(`/api/admin/access-requests/${id}/allow`).set({ Cookie: admin, Origin: ORIGIN }).expect(404);
    expect(await requestRow()).toEqual([{ id, status: 'dismissed' }]);

    // Dismissed is not allowed: the next attempt is refused, creates no user, and is a pending request again.
    expect(refusedReason((await t.attemptSignIn('knocker', 6)).location)).toBe('@knocker is not allowed on this platform: ask its admin');
    expect(await t.db.query(`SELECT 1 FROM users WHERE github_id = 6`)).toEqual([]);
    expect(await requestRow()).toEqual([{ id, status: 'pending' }]);
  });

  it('removing a user with projects asks first, then removes the user and their projects', async () => {
    const cookie = await t.signIn('member3', 4);
    await request(t.app).post('/api/projects').set({ Cookie: cookie, Origin: ORIGIN }).send({ name: 'one' }).expect(201);
    const [row] = await t.db.query<{ id: string }[]>(`SELECT id FROM users WHERE github_username = 'member3'`);
    const id = row?.id ?? '';
    const refused = await request(t.app).delete(`/api/admin/users/${id}`).set({ Cookie: admin, Origin: ORIGIN }).expect(409);
    expect(refused.body.error.message).toBe('@member3 owns 1 project(s): remove them too, or block the user instead.');
    await request(t.app).delete(`/api/admin/users/${id}?deleteProjects=maybe`).set({ Cookie: admin, Origin: ORIGIN }).expect(400);
    await request(t.app).delete(`/api/admin/users/${id}?deleteProjects=true`).set({ Cookie: admin, Origin: ORIGIN }).expect(204);
    expect(await t.db.query(`SELECT 1 FROM users WHERE id = $1`, [id])).toEqual([]);
    expect(await t.db.query(`SELECT 1 FROM projects WHERE user_id = $1`, [id])).toEqual([]);
    await request(t.app).get('/api/projects').set('Cookie', cookie).expect(401);
    // The namespace left the state repo through a commit.
    expect((await t.commitSubjects()).some((subject) => /^delete\([a-z0-9]{6}-one\): delete project one$/.test(subject))).toBe(true);
  });
});

describe('removing a user while they create a project', () => {
  it('blocks them first: each project they made gets its delete commit and loses its registry robot, none vanishes by cascade', async () => {
    const harbor = new FakeHarbor();
    await harbor.start();
    const t = await startTestPlatform(
      {
        ...CLOSED,
        ALLOWED_GITHUB_USERS: 'leaver',
        ADMIN_GITHUB_USERS: 'boss',
        HARBOR_URL: harbor.url,
        HARBOR_ADMIN_USERNAME: harbor.admin.username,
        HARBOR_ADMIN_PASSWORD: harbor.admin.password,
      },
    );
    try {
      const boss = await t.signIn('boss', 1);
      const leaver = await t.signIn('leaver', 2);
      const [user] = await t.db.query<{ id: string; hash: string }[]>(`SELECT id, hash FROM users WHERE github_username = 'leaver'`);
      if (!user) throw new Error('no user row');
      const first = await request(t.app).post('/api/projects').set({ Cookie: leaver, Origin: ORIGIN }).send({ name: 'first' }).expect(201);
      // Its first build made its registry robot.
      const registries = new TenantRegistries({
        db: t.db,
        encryptor: t.encryptor,
        logger: pino({ level: 'silent' }),
        harbor: new HttpHarborApi({ url: harbor.url, ...harbor.admin }),
        settings: { harborProject: 'dangus', shared: null },
      });
      await registries.credentialsFor(first.body.id as string, first.body.namespace as string);
      expect(harbor.robots.size).toBe(1);

      // Hold the user's row: the removal waits where it first locks it, then the creation does too.
      const barrier = await RowLockBarrier.hold(t.db, `SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE`, [user.id]);
      const removal = request(t.app).delete(`/api/admin/users/${user.id}?deleteProjects=true`).set({ Cookie: boss, Origin: ORIGIN }).then((res) => res);
      await barrier.waiters(1, [removal]);
      const creation = request(t.app).post('/api/projects').set({ Cookie: leaver, Origin: ORIGIN }).send({ name: 'late' }).then((res) => res);
      await barrier.waiters(2, [creation]);
      await barrier.release();
      const [removed, created] = await Promise.all([removal, creation]);

      expect(removed.status).toBe(204);
      // The creation either made it before the block (and was removed with the rest) or was refused.
      expect(created.status === 201 || created.body.error?.code === 'blocked').toBe(true);
      const made = created.status === 201 ? ['first', 'late'] : ['first'];
      expect(await t.db.query(`SELECT name FROM projects`)).toEqual([]);
      const subjects = (await exec('git', ['--git-dir', t.stateRepoDir, 'log', '--format=%s'])).stdout.split('\n');
      for (const name of made) expect(subjects).toContain(`delete(${user.hash}-${name}): delete project ${name}`);
      const tenants = (await exec('git', ['--git-dir', t.stateRepoDir, 'ls-tree', '--name-only', 'HEAD', 'tenants/'])).stdout;
      expect(tenants.split('\n').filter((path) => path.startsWith(`tenants/${user.hash}-`))).toEqual([]);
      expect([...harbor.robots.values()]).toEqual([]);
    } finally {
      await t.close();
      await harbor.stop();
    }
  });
});

describe('an admin demoted or blocked while their request is in flight', () => {
  it.each([
    ['promote', 'demoted', `UPDATE users SET role = 'member' WHERE id = $1`],
    ['block', 'demoted', `UPDATE users SET role = 'member' WHERE id = $1`],
    ['promote', 'blocked', `UPDATE users SET status = 'blocked' WHERE id = $1`],
    ['block', 'blocked', `UPDATE users SET status = 'blocked' WHERE id = $1`],
  ])('cannot %s a user once %s, though their session was checked before', async (action, _change, changeSql) => {
    const t = await startTestPlatform({ ...CLOSED, ALLOWED_GITHUB_USERS: 'target', ADMIN_GITHUB_USERS: 'boss,other' });
    try {
      const boss = await t.signIn('boss', 1);
      await t.signIn('other', 2);
      await t.signIn('target', 3);
      const ids = Object.fromEntries((await t.db.query<{ id: string; github_username: string }[]>(`SELECT id, github_username FROM users`)).map((u) => [u.github_username, u.id]));
      const before = await userRows(t);

      // Another admin demotes (or blocks) boss in a transaction that holds boss's row.
      const demotion = await RowLockBarrier.hold(t.db, changeSql, [ids.boss]);
      // Boss's request passes the session check (the change is not committed yet) and waits in its transaction.
      const answer = request(t.app).post(`/api/admin/users/${ids.target ?? ''}/${action}`).set({ Cookie: boss, Origin: ORIGIN }).then((res) => res);
      await demotion.waiters(1, [answer]);
      await demotion.release();

      const res = await answer;
      expect(res.status).toBe(403);
      expect(res.body.error).toEqual({ code: 'admin_only', message: 'You are no longer an admin of the platform: nothing was changed.' });
      const after = await userRows(t);
      expect(after.find((u) => u.github_username === 'target')).toEqual(before.find((u) => u.github_username === 'target'));
    } finally {
      await t.close();
    }
  });

  it('cannot allow an access request once demoted', async () => {
    const t = await startTestPlatform({ ...CLOSED, ALLOWED_GITHUB_USERS: 'someone', ADMIN_GITHUB_USERS: 'boss' });
    try {
      const boss = await t.signIn('boss', 1);
      await t.attemptSignIn('stranger', 9);
      const [pending] = await t.db.query<{ id: string }[]>(`SELECT id FROM access_requests`);
      const [row] = await t.db.query<{ id: string }[]>(`SELECT id FROM users WHERE github_username = 'boss'`);
      const demotion = await RowLockBarrier.hold(t.db, `UPDATE users SET role = 'member' WHERE id = $1`, [row?.id]);
      const answer = request(t.app).post(`/api/admin/access-requests/${pending?.id ?? ''}/allow`).set({ Cookie: boss, Origin: ORIGIN }).then((res) => res);
      await demotion.waiters(1, [answer]);
      await demotion.release();

      expect((await answer).status).toBe(403);
      expect(await t.db.query(`SELECT status FROM access_requests`)).toEqual([{ status: 'pending' }]);
    } finally {
      await t.close();
    }
  });
});

describe('the local sign-in', () => {
  it('is an admin', async () => {
    const t = await startTestPlatform({ AUTH_LOCAL: 'true' });
    try {
      const res = await request(t.app).post('/auth/local').set('Origin', ORIGIN).expect(204);
      const cookie = (res.headers['set-cookie'] as unknown as string[]).join('; ');
      expect((await request(t.app).get('/auth/me').set('Cookie', cookie).expect(200)).body).toEqual(expect.objectContaining({ githubUsername: 'local', role: 'admin' }));
    } finally {
      await t.close();
    }
  });

  it.each([
    ['X-Forwarded-For', '203.0.113.9'],
    ['X-Forwarded-Host', 'dangus.example.com'],
    ['X-Forwarded-Proto', 'https'],
    ['Forwarded', 'for=203.0.113.9'],
    ['X-Real-IP', '203.0.113.9'],
    ['CF-Connecting-IP', '203.0.113.9'],
    ['True-Client-IP', '203.0.113.9'],
    ['Via', '1.1 tunnel'],
  ])('refuses a request that came through a proxy or tunnel (%s), with no session', async (header, value) => {
    const t = await startTestPlatform({ AUTH_LOCAL: 'true' });
    try {
      const refused = await request(t.app).post('/auth/local').set({ Origin: ORIGIN, [header]: value }).expect(403);
      expect(refused.body.error).toEqual({
        code: 'local_only',
        message: `The local sign-in is only for a browser on the platform's own machine, not through a proxy or tunnel: this request carries ${header.toLowerCase()}.`,
      });
      expect(refused.headers['set-cookie']).toBeUndefined();
      expect(await t.db.query(`SELECT count(*)::int AS n FROM sessions`)).toEqual([{ n: 0 }]);
    } finally {
      await t.close();
    }
  });

  it('accepts the loopback Host names with or without a port, and refuses any other Host', async () => {
    const t = await startTestPlatform({ AUTH_LOCAL: 'true' });
    try {
      for (const host of ['localhost', 'localhost:3000', '127.0.0.1:3000', '[::1]:3000', '[::1]']) {
        await request(t.app).post('/auth/local').set({ Origin: ORIGIN, Host: host }).expect(204);
      }
      for (const host of ['dangus.example.com', 'abc.trycloudflare.com:443', '127.0.0.1.nip.io', 'localhost.evil.com']) {
        const refused = await request(t.app).post('/auth/local').set({ Origin: ORIGIN, Host: host }).expect(403);
        expect(refused.body.error).toEqual({
          code: 'local_only',
          message: `The local sign-in is only for a browser on the platform's own machine, addressed as localhost, 127.0.0.1 or [::1]: this request was addressed to "${host}".`,
        });
      }
    } finally {
      await t.close();
    }
  });

  it.each([
    ['a public PUBLIC_URL', { PUBLIC_URL: 'https://dangus.example.com' }],
    ['a non-loopback HOST', { HOST: '0.0.0.0', PUBLIC_URL: 'http://127.0.0.1:3000' }],
  ])('AUTH_LOCAL=true with %s refuses to start, saying why', (_label, env) => {
    expect(() => loadConfig({ AUTH_LOCAL: 'true', ...env })).toThrow(/AUTH_LOCAL: the local sign-in has no password/);
  });

  it('is not offered by default behind a public URL', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://dangus.example.com' }).localAuth).toBe(false);
    expect(loadConfig({ HOST: '127.0.0.1', PUBLIC_URL: 'https://dangus.example.com' }).localAuth).toBe(false);
    expect(loadConfig({}).localAuth).toBe(true);
  });
});

describe('limits per user', () => {
  let t: TestPlatform;
  let cookie: string;
  const post = (path: string, body: object) => request(t.app).post(`/api${path}`).set({ Cookie: cookie, Origin: ORIGIN }).send(body);

  beforeAll(async () => {
    t = await startTestPlatform({
      MAX_PROJECTS_PER_USER: '3',
      MAX_SERVICES_PER_PROJECT: '2',
      MAX_ENV_VARS_PER_SERVICE: '3',
      MAX_ENV_BYTES_PER_SERVICE: '100',
      MAX_STREAMS_PER_USER: '2',
    });
    cookie = await t.signIn('limited', 99);
  });
  afterAll(async () => {
    await t.close();
  });

  it('allows n projects and refuses the n+1-th with a message, also when they are asked for at once', async () => {
    const answers = await Promise.all(['p1', 'p2', 'p3', 'p4', 'p5'].map((name) => post('/projects', { name })));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 201, 409, 409]);
    const refused = answers.find((a) => a.status === 409);
    expect(refused?.body.error).toEqual({ code: 'limit_reached', message: 'You have 3 projects, the most this platform allows per user: delete one first, or ask its admin.' });
    expect(await t.db.query(`SELECT count(*)::int AS n FROM projects`)).toEqual([{ n: 3 }]);
  });

  it('allows n services per project and n env vars within the size, refusing the next', async () => {
    const projects = (await request(t.app).get('/api/projects').set('Cookie', cookie).expect(200)).body as { id: string }[];
    const projectId = projects[0]?.id ?? '';
    const svc = (name: string) => post(`/projects/${projectId}/services`, { name, repoUrl: `https://github.com/a/${name}`, port: 80 });
    const first = await svc('s1').expect(201);
    await svc('s2').expect(201);
    expect((await svc('s3').expect(409)).body.error.code).toBe('limit_reached');

    const env = (key: string, value: string) => post(`/services/${first.body.id as string}/env`, { key, value });
    await env('A', 'x'.repeat(40)).expect(201);
    // 1 + 40 + 1 + 59 = 101 bytes: one over.
    expect((await env('B', 'y'.repeat(59)).expect(409)).body.error.message).toBe(
      'The env vars of this service would take 101 bytes, more than the 100 this platform allows per service: shorten or remove some.',
    );
    await env('B', 'y'.repeat(57)).expect(201);
    // 41 + 58 + 1 = 100 bytes: exactly the limit.
    await env('C', '').expect(201);
    expect((await env('D', '').expect(409)).body.error.message).toBe('This service has 3 env vars, the most this platform allows: remove one first.');
  });

  it('allows n live streams and answers the next with 429 and a message', async () => {
    const server = t.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const controllers = [new AbortController(), new AbortController()];
    try {
      const address = server.address();
      const url = `http://127.0.0.1:${String(typeof address === 'object' && address ? address.port : 0)}/api/events`;
      const open = await Promise.all(controllers.map((c) => fetch(url, { headers: { Cookie: cookie }, signal: c.signal })));
      expect(open.map((r) => r.status)).toEqual([200, 200]);
      const third = await fetch(url, { headers: { Cookie: cookie } });
      expect(third.status).toBe(429);
      expect(((await third.json()) as { error: { message: string } }).error.message).toBe(
        'You have 2 live streams open, the most this platform allows: close a tab or two.',
      );
      // One closes: the next one opens.
      controllers[0]?.abort();
      let reopened = 0;
      for (let i = 0; i < 50 && reopened !== 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const attempt = await fetch(url, { headers: { Cookie: cookie }, signal: controllers[0]?.signal.aborted ? undefined : controllers[0]?.signal });
        reopened = attempt.status;
        if (attempt.status === 200) void attempt.body?.cancel();
      }
      expect(reopened).toBe(200);
    } finally {
      for (const c of controllers) c.abort();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
