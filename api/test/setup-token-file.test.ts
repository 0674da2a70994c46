// The setup link as installed: the api reads the installer's Secret (mounted as files,
// SETUP_TOKEN_DIR) at request time. A re-run's new link works at once without a restart,
// every older link is dead; after the setup, no link works. The setup admin adopting a
// GitHub account that is already a user ends the setup account.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { SETUP_REFUSALS } from '../src/auth/first-run-setup.js';
import { cookiesOf, ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const newToken = () => randomBytes(32).toString('base64url');

describe('first-run setup read from the mounted Secret', () => {
  let dir: string;
  let t: TestPlatform;
  // What bootstrap/install.sh does on each run: a new token, only its hash in the Secret.
  const installerRun = async (token: string) => {
    await writeFile(join(dir, 'SETUP_TOKEN_SHA256'), sha256(token));
    await writeFile(join(dir, 'SETUP_TOKEN_EXPIRES_AT'), new Date(Date.now() + 24 * 3600_000).toISOString());
  };
  const state = async (token: string) => ((await request(t.app).get(`/auth/setup?token=${token}`).expect(200)).body as { state: string }).state;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dangus-setup-'));
    // @founder is listed: a member before the setup (the Secret is not there yet).
    t = await startTestPlatform({ SETUP_TOKEN_DIR: dir, ALLOWED_GITHUB_USERS: 'founder' });
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('takes a re-run\'s new link at once and kills the older one', async () => {
    const member = await t.attemptSignIn('founder', 4242);
    expect(member.cookie).not.toBe('');
    const first = newToken();
    await installerRun(first);
    expect(await state(first)).toBe('ready');

    const second = newToken();
    await installerRun(second);
    expect(await state(second)).toBe('ready');
    expect(await state(first)).toBe('replaced');
    const old = await request(t.app).post('/auth/setup').set('Origin', ORIGIN).send({ token: first }).expect(409);
    expect(old.body.error.message).toBe(SETUP_REFUSALS.replaced);
    expect(old.headers['set-cookie']).toBeUndefined();
    // An api still reading the older Secret revives nothing.
    await installerRun(first);
    expect(await state(first)).toBe('replaced');
    await installerRun(second);

    const claimed = await request(t.app).post('/auth/setup').set('Origin', ORIGIN).send({ token: second }).expect(204);
    const setupCookie = cookiesOf(claimed.headers['set-cookie']);
    expect((await request(t.app).get('/auth/me').set('Cookie', setupCookie).expect(200)).body.role).toBe('admin');

    // A re-run after the setup: its link is dead too.
    const third = newToken();
    await installerRun(third);
    expect(await state(third)).toBe('done');
    await request(t.app).post('/auth/setup').set('Origin', ORIGIN).send({ token: third }).expect(409);

    // The setup admin connects GitHub as @founder, already a member: @founder becomes the
    // admin, and the setup account ends (blocked, signed out), no second admin left.
    const begin = await request(t.app).get('/auth/github').expect(302);
    t.github.user = { id: 4242, login: 'founder' };
    const consent = await fetch(String(begin.headers.location), { redirect: 'manual' });
    const callback = new URL(consent.headers.get('location') ?? '');
    const done = await request(t.app)
      .get(`${callback.pathname}${callback.search}`)
      .set('Cookie', `${cookiesOf(begin.headers['set-cookie'])}; ${setupCookie}`)
      .expect(302);
    expect(done.headers.location).toBe('/');
    const users = await t.db.query<{ github_id: string; role: string; status: string; sessions: number }[]>(
      `SELECT github_id::text, role, status, (SELECT count(*)::int FROM sessions s WHERE s.user_id = u.id) AS sessions FROM users u ORDER BY github_id`,
    );
    expect(users).toEqual([
      { github_id: '-1', role: 'member', status: 'blocked', sessions: 0 },
      { github_id: '4242', role: 'admin', status: 'active', sessions: 2 },
    ]);
    await request(t.app).get('/auth/me').set('Cookie', setupCookie).expect(401);
  });
});
