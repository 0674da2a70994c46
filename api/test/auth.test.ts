import request from 'supertest';
import { UserEntity, SessionEntity } from '../src/db/entities/index.js';
import { ORIGIN, cookiesOf, startTestPlatform, type TestPlatform } from './support/platform.js';

describe('GitHub sign-in', () => {
  let t: TestPlatform;
  beforeEach(async () => {
    t = await startTestPlatform();
  });
  afterEach(async () => {
    await t.close();
  });

  async function beginSignIn() {
    const begin = await request(t.app).get('/auth/github').expect(302);
    const authorize = new URL(String(begin.headers.location));
    return { authorize, oauthCookie: cookiesOf(begin.headers['set-cookie']) };
  }

  it('redirects to GitHub with state, PKCE S256 and the scopes read:user repo', async () => {
    const { authorize } = await beginSignIn();
    expect(authorize.origin).toBe(t.github.url);
    expect(authorize.pathname).toBe('/login/oauth/authorize');
    expect(authorize.searchParams.get('scope')).toBe('read:user repo');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${ORIGIN}/auth/github/callback`);
  });

  it('when consent is given, then the user is created with a hash, an encrypted token and a session', async () => {
    const cookie = await t.signIn('octocat', 4242);
    const me = await request(t.app).get('/auth/me').set('Cookie', cookie).expect(200);
    expect(me.body).toEqual({ id: expect.any(String) as string, githubUsername: 'octocat', hash: expect.stringMatching(/^[a-z0-9]{6}$/) as string, role: 'member', cluster: { connected: false, reason: expect.stringContaining('KUBECONFIG') as string } });
    const user = await t.db.getRepository(UserEntity).findOneByOrFail({ githubId: '4242' });
    expect(user.githubAccessToken).toMatch(/^v1:k1:/);
    expect(user.githubAccessToken).not.toContain('gho_');
    expect(await t.db.getRepository(SessionEntity).countBy({ userId: user.id })).toBe(1);
  });

  it('when the same GitHub account signs in again, then the row is updated, not duplicated', async () => {
    await t.signIn('octocat', 4242);
    const first = await t.db.getRepository(UserEntity).findOneByOrFail({ githubId: '4242' });
    await t.signIn('octocat-renamed', 4242);
    const users = await t.db.getRepository(UserEntity).findBy({ githubId: '4242' });
    expect(users).toHaveLength(1);
    expect(users[0]?.hash).toBe(first.hash);
    expect(users[0]?.githubUsername).toBe('octocat-renamed');
    expect(users[0]?.githubAccessToken).not.toBe(first.githubAccessToken);
  });

  it('when the state does not match the browser\'s, then no user is created', async () => {
    const { authorize, oauthCookie } = await beginSignIn();
    const consent = await fetch(authorize, { redirect: 'manual' });
    const callback = new URL(consent.headers.get('location') ?? '');
    callback.searchParams.set('state', 'forged-state-value');
    const res = await request(t.app).get(`${callback.pathname}${callback.search}`).set('Cookie', oauthCookie).expect(302);
    expect(res.headers.location).toBe('/sign-in?error=state_mismatch');
    expect(await t.db.getRepository(UserEntity).count()).toBe(0);
  });

  it('when the callback arrives in a browser that did not start the sign-in, then it is refused', async () => {
    const { authorize } = await beginSignIn();
    const consent = await fetch(authorize, { redirect: 'manual' });
    const callback = new URL(consent.headers.get('location') ?? '');
    const res = await request(t.app).get(`${callback.pathname}${callback.search}`).expect(302);
    expect(res.headers.location).toBe('/sign-in?error=state_mismatch');
    expect(await t.db.getRepository(UserEntity).count()).toBe(0);
  });

  it('when the user denies consent, then they are sent back with access_denied and nothing is created', async () => {
    t.github.mode = 'deny';
    const { authorize, oauthCookie } = await beginSignIn();
    const consent = await fetch(authorize, { redirect: 'manual' });
    const callback = new URL(consent.headers.get('location') ?? '');
    const res = await request(t.app).get(`${callback.pathname}${callback.search}`).set('Cookie', oauthCookie).expect(302);
    expect(res.headers.location).toBe('/sign-in?error=access_denied');
    expect(await t.db.getRepository(UserEntity).count()).toBe(0);
  });

  it('when the token exchange fails, then the sign-in fails cleanly and nothing is created', async () => {
    t.github.mode = 'token-error';
    const { authorize, oauthCookie } = await beginSignIn();
    const consent = await fetch(authorize, { redirect: 'manual' });
    const callback = new URL(consent.headers.get('location') ?? '');
    const res = await request(t.app).get(`${callback.pathname}${callback.search}`).set('Cookie', oauthCookie).expect(302);
    expect(res.headers.location).toBe('/sign-in?error=github_unavailable');
    expect(await t.db.getRepository(UserEntity).count()).toBe(0);
    expect(await t.db.getRepository(SessionEntity).count()).toBe(0);
  });

  it('when the oauth cookie was tampered with, then it counts as no sign-in in progress', async () => {
    const { authorize, oauthCookie } = await beginSignIn();
    const consent = await fetch(authorize, { redirect: 'manual' });
    const callback = new URL(consent.headers.get('location') ?? '');
    const tampered = oauthCookie.replace(/.(;|$)/, (m) => (m.startsWith('A') ? 'B' : 'A') + m.slice(1));
    const res = await request(t.app).get(`${callback.pathname}${callback.search}`).set('Cookie', tampered).expect(302);
    expect(res.headers.location).toBe('/sign-in?error=state_mismatch');
  });

  it('sets the session cookie HttpOnly and SameSite=Lax, without __Host- over http', async () => {
    const { authorize, oauthCookie } = await beginSignIn();
    const consent = await fetch(authorize, { redirect: 'manual' });
    const callback = new URL(consent.headers.get('location') ?? '');
    const res = await request(t.app).get(`${callback.pathname}${callback.search}`).set('Cookie', oauthCookie).expect(302);
    const session = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('dangus_session='));
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Lax/);
    expect(session).not.toMatch(/Secure/);
  });

  it('when logging out, then the session row is gone and the old cookie no longer works', async () => {
    const cookie = await t.signIn('octocat', 4242);
    await request(t.app).post('/auth/logout').set('Cookie', cookie).set('Origin', ORIGIN).expect(204);
    expect(await t.db.getRepository(SessionEntity).count()).toBe(0);
    await request(t.app).get('/auth/me').set('Cookie', cookie).expect(401);
    await request(t.app).get('/api/projects').set('Cookie', cookie).expect(401);
  });

  it.each([
    ['no cookie', ''],
    ['a garbage cookie', 'dangus_session=garbage'],
    ['a well-formed unknown token', `dangus_session=${'A'.repeat(43)}`],
    ['an oversized cookie', `dangus_session=${'A'.repeat(8000)}`],
  ])('when the request has %s, then /api answers 401 with the error shape', async (_label, cookie) => {
    const res = await request(t.app).get('/api/projects').set('Cookie', cookie).expect(401);
    expect(res.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) as string } });
  });

  it('when OAuth is configured and local sign-in is not forced, then POST /auth/local is 404', async () => {
    await request(t.app).post('/auth/local').set('Origin', ORIGIN).expect(404);
    expect(await t.db.getRepository(UserEntity).count()).toBe(0);
    const config = await request(t.app).get('/auth/config').expect(200);
    expect(config.body).toEqual({ github: true, local: false, githubApp: false });
  });
});

describe('local sign-in and secure cookies', () => {
  it('when AUTH_LOCAL=true, then POST /auth/local signs in the local user', async () => {
    const t = await startTestPlatform({ AUTH_LOCAL: 'true' });
    try {
      const res = await request(t.app).post('/auth/local').set('Origin', ORIGIN).expect(204);
      const cookie = cookiesOf(res.headers['set-cookie']);
      const me = await request(t.app).get('/auth/me').set('Cookie', cookie).expect(200);
      expect(me.body).toMatchObject({ githubUsername: 'local' });
      // A second local sign-in is the same user.
      await request(t.app).post('/auth/local').set('Origin', ORIGIN).expect(204);
      expect(await t.db.getRepository(UserEntity).count()).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('when served over https, then the cookie is __Host- prefixed and Secure', async () => {
    const t = await startTestPlatform({ PUBLIC_URL: 'https://dangus.example.com' });
    try {
      const begin = await request(t.app).get('/auth/github').expect(302);
      const pending = (begin.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
      const consent = await fetch(String(begin.headers.location), { redirect: 'manual' });
      const callback = new URL(consent.headers.get('location') ?? '');
      const res = await request(t.app).get(`${callback.pathname}${callback.search}`).set('Cookie', pending).expect(302);
      const cookie = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('__Host-dangus_session='));
      expect(cookie).toMatch(/^__Host-dangus_session=[A-Za-z0-9_-]{43}; Path=\/; Expires=.*; HttpOnly; Secure; SameSite=Lax$/);
    } finally {
      await t.close();
    }
  });
});

describe('response headers', () => {
  it('behind https: the pending sign-in cookie is __Host- prefixed with Path=/, and HSTS is sent', async () => {
    const t = await startTestPlatform({ PUBLIC_URL: 'https://dangus.example.com' });
    try {
      const res = await request(t.app).get('/auth/github').expect(302);
      const [cookie] = res.headers['set-cookie'] as unknown as string[];
      expect(cookie).toMatch(/^__Host-dangus_oauth=[^;]+; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
    } finally {
      await t.close();
    }
  });

  it('over http (loopback): no HSTS, the pending cookie scoped to the sign-in path', async () => {
    const t = await startTestPlatform();
    try {
      const res = await request(t.app).get('/auth/github').expect(302);
      expect((res.headers['set-cookie'] as unknown as string[])[0]).toMatch(/^dangus_oauth=[^;]+; Max-Age=600; Path=\/auth\/github; HttpOnly; SameSite=Lax$/);
      expect(res.headers['strict-transport-security']).toBeUndefined();
    } finally {
      await t.close();
    }
  });

  it('every answer has a CSP that allows only this origin, and API answers are never stored', async () => {
    const t = await startTestPlatform();
    try {
      const cookie = await t.signIn('octocat', 4242);
      const project = await request(t.app).post('/api/projects').set({ Cookie: cookie, Origin: ORIGIN }).send({ name: 'hdr' }).expect(201);
      const service = await request(t.app)
        .post(`/api/projects/${project.body.id as string}/services`)
        .set({ Cookie: cookie, Origin: ORIGIN })
        .send({ name: 'web', repoUrl: 'https://github.com/a/b', port: 80 })
        .expect(201);
      // The answer that carries the webhook secret.
      const shown = await request(t.app).get(`/api/services/${service.body.id as string}`).set('Cookie', cookie).expect(200);
      expect(shown.body.webhookSecret).toEqual(expect.any(String));
      expect(shown.headers['cache-control']).toBe('no-store');
      const csp = String(shown.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect((await request(t.app).get('/auth/me').set('Cookie', cookie)).headers['cache-control']).toBe('no-store');
      expect((await request(t.app).get('/healthz')).headers['content-security-policy']).toBe(csp);
    } finally {
      await t.close();
    }
  });
});

describe('Origin check on state-changing requests', () => {
  let t: TestPlatform;
  let cookie: string;
  beforeAll(async () => {
    t = await startTestPlatform();
    cookie = await t.signIn('octocat', 4242);
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([
    ['no Origin and no Referer', {}],
    ['a tenant app on a sibling subdomain', { Origin: 'http://abc123-web.dangus.localhost' }],
    ['a look-alike origin', { Origin: 'http://127.0.0.1:3000.evil.test' }],
    ['another port', { Origin: 'http://127.0.0.1:3001' }],
    ['the null origin', { Origin: 'null' }],
    ['a foreign Referer', { Referer: 'https://evil.test/page' }],
  ])('when the request has %s, then 403 and nothing is created', async (_label, headers: Record<string, string>) => {
    const res = await request(t.app).post('/api/projects').set('Cookie', cookie).set(headers).send({ name: 'blocked' }).expect(403);
    expect(res.body.error.code).toBe('origin_mismatch');
    const list = await request(t.app).get('/api/projects').set('Cookie', cookie).expect(200);
    expect(list.body).toEqual([]);
  });

  it('when only a same-origin Referer is sent, then the request passes', async () => {
    await request(t.app)
      .post('/api/projects')
      .set('Cookie', cookie)
      .set('Referer', `${ORIGIN}/projects`)
      .send({ name: 'via-referer' })
      .expect(201);
  });

  it('when logout comes from another origin, then the session survives', async () => {
    await request(t.app).post('/auth/logout').set('Cookie', cookie).set('Origin', 'http://evil.test').expect(403);
    await request(t.app).get('/auth/me').set('Cookie', cookie).expect(200);
  });
});
