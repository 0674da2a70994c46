// First-run setup of an installed platform: the installer's one-time link (only its hash
// configured), claimed once by the person who becomes the admin; nobody signs in before;
// a used, expired or foreign link gets one clear answer and changes nothing.
import { createHash, randomBytes } from 'node:crypto';
import request from 'supertest';
import { dnsStatus } from '../src/auth/dns-check.js';
import { SETUP_PENDING_REFUSAL, SETUP_REFUSALS } from '../src/auth/first-run-setup.js';
import { cookiesOf, ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const counts = async (t: TestPlatform) =>
  (await t.db.query<{ users: number; sessions: number; used: number }[]>(
    `SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM sessions) AS sessions,
            (SELECT count(*)::int FROM setup_tokens WHERE used_at IS NOT NULL) AS used`,
  ))[0];

describe('first-run setup', () => {
  const token = randomBytes(32).toString('base64url');
  let t: TestPlatform;

  beforeAll(async () => {
    // As installed: nothing listed (the first GitHub sign-in would otherwise become the admin).
    t = await startTestPlatform({ SETUP_TOKEN_SHA256: sha256(token), ALLOWED_GITHUB_USERS: '' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('lets nobody sign in before the setup, and keeps only the hash of the link', async () => {
    const attempt = await t.attemptSignIn('eager', 7);
    expect(new URL(attempt.location, ORIGIN).searchParams.get('refused')).toBe(SETUP_PENDING_REFUSAL);
    expect(attempt.cookie).toBe('');
    expect(await counts(t)).toEqual({ users: 0, sessions: 0, used: 0 });
    const rows = await t.db.query<{ token_hash: string }[]>(`SELECT token_hash FROM setup_tokens`);
    expect(rows).toEqual([{ token_hash: sha256(token) }]);
    expect(JSON.stringify(await t.db.query(`SELECT * FROM setup_tokens`))).not.toContain(token);
  });

  it('says what a link is without changing anything', async () => {
    expect((await request(t.app).get(`/auth/setup?token=${token}`).expect(200)).body).toEqual({ state: 'ready', message: null });
    expect((await request(t.app).get('/auth/setup?token=forged').expect(200)).body).toEqual({ state: 'unknown', message: SETUP_REFUSALS.unknown });
    expect(await counts(t)).toEqual({ users: 0, sessions: 0, used: 0 });
  });

  it('refuses a wrong token with one clear answer, changing nothing', async () => {
    const res = await request(t.app).post('/auth/setup').set('Origin', ORIGIN).send({ token: 'forged' }).expect(409);
    expect(res.body.error.message).toBe(SETUP_REFUSALS.unknown);
    expect(res.headers['set-cookie']).toBeUndefined();
    const empty = await request(t.app).post('/auth/setup').set('Origin', ORIGIN).send({ token: '' }).expect(400);
    expect(empty.body.error.fields.token).toEqual(['The setup link has no token.']);
    expect(await counts(t)).toEqual({ users: 0, sessions: 0, used: 0 });
  });

  it('makes the person with the link the admin, once; then the link is dead', async () => {
    const claimed = await request(t.app).post('/auth/setup').set('Origin', ORIGIN).send({ token }).expect(204);
    const cookie = cookiesOf(claimed.headers['set-cookie']);
    const me = await request(t.app).get('/auth/me').set('Cookie', cookie).expect(200);
    expect(me.body.role).toBe('admin');
    expect(await counts(t)).toEqual({ users: 1, sessions: 1, used: 1 });

    const again = await request(t.app).post('/auth/setup').set('Origin', ORIGIN).send({ token }).expect(409);
    expect(again.body.error.message).toBe(SETUP_REFUSALS.used);
    expect((await request(t.app).get(`/auth/setup?token=${token}`).expect(200)).body.state).toBe('used');
    expect(await counts(t)).toEqual({ users: 1, sessions: 1, used: 1 });

    // The admin connects GitHub, then signs in with it: the setup admin becomes that account.
    const begin = await request(t.app).get('/auth/github').expect(302);
    t.github.user = { id: 4242, login: 'founder' };
    const consent = await fetch(String(begin.headers.location), { redirect: 'manual' });
    const callback = new URL(consent.headers.get('location') ?? '');
    const done = await request(t.app)
      .get(`${callback.pathname}${callback.search}`)
      .set('Cookie', `${cookiesOf(begin.headers['set-cookie'])}; ${cookie}`)
      .expect(302);
    expect(done.headers.location).toBe('/');
    const users = await t.db.query<{ github_id: string; github_username: string; role: string }[]>(`SELECT github_id::text, github_username, role FROM users`);
    expect(users).toEqual([{ github_id: '4242', github_username: 'founder', role: 'admin' }]);

    // Anyone else now goes through the sign-in policy: nothing listed and an admin exists, refused.
    const stranger = await t.attemptSignIn('stranger', 9);
    expect(new URL(stranger.location, ORIGIN).searchParams.get('refused')).toBe('@stranger is not allowed on this platform: ask its admin');
  });

  it('refuses an expired link, changing nothing', async () => {
    const old = randomBytes(32).toString('base64url');
    const expired = await startTestPlatform({ SETUP_TOKEN_SHA256: sha256(old), SETUP_TOKEN_EXPIRES_AT: new Date(Date.now() - 60_000).toISOString(), ALLOWED_GITHUB_USERS: '' });
    try {
      const res = await request(expired.app).post('/auth/setup').set('Origin', ORIGIN).send({ token: old }).expect(409);
      expect(res.body.error.message).toBe(SETUP_REFUSALS.expired);
      expect(await counts(expired)).toEqual({ users: 0, sessions: 0, used: 0 });
      // Still pending: nobody signs in.
      expect(new URL((await expired.attemptSignIn('eager', 7)).location, ORIGIN).searchParams.get('refused')).toBe(SETUP_PENDING_REFUSAL);
    } finally {
      await expired.close();
    }
  });

  it('shows the DNS records to create and whether they resolve to the target', async () => {
    const answers: Record<string, string[]> = {};
    const resolve = (name: string) => Promise.resolve(name.endsWith('.apps.example.com') ? (answers.wild ?? []) : name === 'dangus.example.com' ? (answers.host ?? []) : []);
    const settings = { publicUrl: 'https://dangus.example.com', baseDomain: 'apps.example.com', target: '203.0.113.7' };
    let status = await dnsStatus(settings, resolve);
    expect(status.records.map((r) => [r.type, r.name, r.value, r.ok])).toEqual([
      ['A', '*.apps.example.com', '203.0.113.7', false],
      ['A', 'dangus.example.com', '203.0.113.7', false],
    ]);
    expect(status.ok).toBe(false);
    answers.wild = ['203.0.113.7'];
    answers.host = ['198.51.100.1'];
    status = await dnsStatus(settings, resolve);
    expect(status.records.map((r) => r.ok)).toEqual([true, false]);
    answers.host = ['203.0.113.7'];
    expect((await dnsStatus(settings, resolve)).ok).toBe(true);
    // A platform host the wildcard covers needs no record of its own.
    expect((await dnsStatus({ ...settings, publicUrl: 'https://dangus.apps.example.com' }, resolve)).records).toHaveLength(1);
  });
});
