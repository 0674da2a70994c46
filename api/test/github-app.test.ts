import { execFile } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import request from 'supertest';
import { GitHubApp } from '../src/github/github-app.js';
import { startInstallationSync, syncInstallations } from '../src/github/installations.js';
import { beginFlow, connect, post } from './support/github-app-flow.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';

const exec = promisify(execFile);
const silent = pino({ level: 'silent' });

function appOf(t: TestPlatform): GitHubApp {
  return new GitHubApp({ db: t.db, encryptor: t.encryptor, fromEnvironment: undefined, webUrl: t.github.url, apiUrl: t.github.url });
}

async function installationRows(t: TestPlatform) {
  return t.db.query<{ id: string; account_login: string; repos: string | null }[]>(
    `SELECT i.id::text, i.account_login, string_agg(r.full_name, ',' ORDER BY r.full_name) AS repos
       FROM github_installations i LEFT JOIN github_installation_repositories r ON r.installation_id = i.id GROUP BY i.id ORDER BY i.account_login`,
  );
}

describe('the GitHub App', () => {
  let t: TestPlatform;
  let admin: string;
  beforeEach(async () => {
    t = await startTestPlatform({ ADMIN_GITHUB_USERS: 'root' });
    admin = await t.signIn('root', 1);
  });
  afterEach(async () => {
    await t.close();
  });

  it('is created by the manifest flow and stored with its secrets encrypted', async () => {
    const member = await t.signIn('octocat', 4242);
    const flow = await beginFlow(t, admin);
    expect(new URL(flow.action).pathname).toBe('/settings/apps/new');
    expect(flow.manifest).toEqual({
      name: 'Dangus 127.0.0.1',
      url: ORIGIN,
      hook_attributes: { url: `${ORIGIN}/webhooks/github`, active: true },
      redirect_url: `${ORIGIN}/auth/github-app/created`,
      callback_urls: [`${ORIGIN}/auth/github/callback`],
      setup_url: `${ORIGIN}/`,
      setup_on_update: true,
      public: false,
      request_oauth_on_install: false,
      default_permissions: { contents: 'read', metadata: 'read', checks: 'write', deployments: 'write', pull_requests: 'write', statuses: 'write' },
      default_events: ['push', 'pull_request', 'repository'],
    });
    // A member can neither start the flow nor complete the admin's.
    await request(t.app).post('/api/system/github-app/manifest').set('Cookie', member).set('Origin', ORIGIN).send({ owner: 'user' }).expect(403);
    await request(t.app).get(flow.path).set('Cookie', member).expect(403);
    await request(t.app).get(flow.path).expect(401);
    expect(await t.db.query(`SELECT 1 FROM github_app`)).toHaveLength(0);

    const done = await request(t.app).get(flow.path).set('Cookie', admin).expect(302);
    expect(done.headers.location).toBe('/system?github=connected');
    const [app] = [...t.github.app.apps.values()];
    const [row] = await t.db.query<Record<string, string>[]>(`SELECT app_id::text, slug, client_id, client_secret, private_key, webhook_secret FROM github_app`);
    expect(app && row).toBeTruthy();
    if (!app || !row) return;
    expect(row.app_id).toBe(String(app.id));
    expect(row.client_id).toBe(app.clientId);
    const stored = JSON.stringify(row);
    for (const secret of [app.clientSecret, app.webhookSecret, app.pem, 'PRIVATE KEY']) expect(stored).not.toContain(secret);
    expect(t.encryptor.decrypt(row.private_key ?? '')).toBe(app.pem);
    expect(t.encryptor.decrypt(row.webhook_secret ?? '')).toBe(app.webhookSecret);

    const status = await request(t.app).get('/api/system/github-app').set('Cookie', admin).expect(200);
    expect(status.body).toMatchObject({ connected: true, source: 'manifest', slug: app.slug, installUrl: `${t.github.url}/apps/${app.slug}/installations/new` });
    await request(t.app).get('/api/system/github-app').set('Cookie', member).expect(403);
    // A second App is refused.
    await request(t.app).post('/api/system/github-app/manifest').set('Cookie', admin).set('Origin', ORIGIN).send({ owner: 'user' }).expect(409);
  });

  it('posts to an organization\'s form, and refuses a malformed one with the field', async () => {
    const bad = await request(t.app).post('/api/system/github-app/manifest').set('Cookie', admin).set('Origin', ORIGIN).send({ owner: 'organization', organization: 'no/pe' }).expect(400);
    expect(Object.keys((bad.body as { error: { fields: Record<string, unknown> } }).error.fields)).toEqual(['organization']);
    t.github.orgs.set('acme', new Set(['root']));
    t.github.user = { id: 1, login: 'root' };
    const flow = await beginFlow(t, admin, { owner: 'organization', organization: 'acme', name: 'Acme Dangus' });
    expect(new URL(flow.action).pathname).toBe('/organizations/acme/settings/apps/new');
    await request(t.app).get(flow.path).set('Cookie', admin).expect(302, /github=connected/);
    expect([...t.github.app.apps.values()][0]?.owner.login).toBe('acme');
  });

  it('stores nothing when the code was already used, the state is replayed, or the conversion fails', async () => {
    const member = await t.signIn('octocat', 4242);
    const flow = await beginFlow(t, admin);
    // The code is used elsewhere first: GitHub answers 404 to the second conversion.
    const code = flow.back.searchParams.get('code') ?? '';
    expect((await fetch(`${t.github.url}/app-manifests/${code}/conversions`, { method: 'POST' })).status).toBe(201);
    const reused = await request(t.app).get(flow.path).set('Cookie', admin).expect(302);
    expect(decodeURIComponent(String(reused.headers.location))).toContain('already used or expired');
    // The state was consumed by that attempt: replaying it is refused before GitHub is asked.
    const replayed = await request(t.app).get(flow.path).set('Cookie', admin).expect(302);
    expect(decodeURIComponent(String(replayed.headers.location))).toContain('expired or was already used');

    t.github.app.failConversionWith = 500;
    const failing = await beginFlow(t, admin);
    const failed = await request(t.app).get(failing.path).set('Cookie', admin).expect(302);
    expect(decodeURIComponent(String(failed.headers.location))).toContain('GitHub could not create the App (HTTP 500)');

    expect(await t.db.query(`SELECT 1 FROM github_app`)).toHaveLength(0);
    // Nothing half-done: the OAuth users keep their tokens.
    const kinds = await t.db.query<{ kind: string }[]>(`SELECT github_token_kind AS kind FROM users ORDER BY github_username`);
    expect(kinds.map((k) => k.kind)).toEqual(['oauth', 'oauth']);
    await request(t.app).get('/api/github/installations/new').set('Cookie', member).expect(404);
  });

  it('signs users in through the App with no repo scope, and deletes the OAuth tokens when connected', async () => {
    await t.signIn('octocat', 4242);
    expect((await request(t.app).get('/auth/config').expect(200)).body).toMatchObject({ github: true, githubApp: false });
    const app = await connect(t, admin);
    // The UI learns that services are built through the App (the service page's "Check access").
    expect((await request(t.app).get('/auth/config').expect(200)).body).toMatchObject({ github: true, githubApp: true });
    const retired = await t.db.query<{ kind: string; token: string }[]>(`SELECT github_token_kind AS kind, github_access_token AS token FROM users WHERE github_username = 'octocat'`);
    expect(retired[0]?.kind).toBe('none');
    expect(t.encryptor.decrypt(retired[0]?.token ?? '')).toBe('');

    const begin = await request(t.app).get('/auth/github').expect(302);
    const authorize = new URL(String(begin.headers.location));
    expect(authorize.searchParams.get('client_id')).toBe(app.clientId);
    expect(authorize.searchParams.has('scope')).toBe(false);
    await t.signIn('octocat', 4242);
    expect(t.github.lastScopes).toBe('');
    const [user] = await t.db.query<{ kind: string; token: string }[]>(`SELECT github_token_kind AS kind, github_access_token AS token FROM users WHERE github_username = 'octocat'`);
    expect(user?.kind).toBe('app');
    expect(t.encryptor.decrypt(user?.token ?? '')).toMatch(/^ghu_/);
  });

  it('deletes the OAuth tokens when the App comes from the environment', async () => {
    await t.signIn('octocat', 4242);
    const settings = { appId: 1, slug: 'env-app', clientId: 'Iv23env', clientSecret: 's', privateKey: 'k', webhookSecret: 'w' };
    const fromEnvironment = new GitHubApp({ db: t.db, encryptor: t.encryptor, fromEnvironment: settings, webUrl: t.github.url, apiUrl: t.github.url });
    expect(await appOf(t).retireOAuthTokens()).toBe(0);
    expect(await fromEnvironment.retireOAuthTokens()).toBe(2);
    const kinds = await t.db.query<{ kind: string }[]>(`SELECT DISTINCT github_token_kind AS kind FROM users`);
    expect(kinds).toEqual([{ kind: 'none' }]);
    expect((await fromEnvironment.credentials())?.source).toBe('environment');
  });

  it('keeps installations current from webhook events, records unknown ones, and heals a missed one by resync', async () => {
    // No App yet: the App endpoint is not there.
    await request(t.app).post('/webhooks/github').set({ 'content-type': 'application/json', 'x-github-event': 'ping' }).send('{}').expect(404);
    const app = await connect(t, admin);
    const one = t.github.app.addRepository('octocat/one');
    const two = t.github.app.addRepository('octocat/two', { private: false });
    const three = t.github.app.addRepository('acme/three');
    const { installation, delivery } = t.github.app.install(app, { login: 'octocat', id: 4242, type: 'User' }, [one]);

    // A forged signature changes nothing.
    await post(t, { ...delivery, headers: { ...delivery.headers, 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` } }).expect(401);
    expect(await installationRows(t)).toEqual([]);

    await post(t, delivery).expect(200, { outcome: 'applied', reason: 'installation created' });
    await post(t, t.github.app.changeRepositories(installation, { add: [two] })).expect(200);
    expect(await installationRows(t)).toEqual([{ id: String(installation.id), account_login: 'octocat', repos: 'octocat/one,octocat/two' }]);
    expect((await t.db.query<{ private: boolean }[]>(`SELECT private FROM github_installation_repositories WHERE repository_id = $1`, [two.id]))[0]?.private).toBe(false);

    // An event about an installation nobody told us of: recorded, ignored.
    const elsewhere = t.github.app.install(app, { login: 'acme', id: 77, type: 'Organization' }, [three]);
    const unknown = t.github.app.changeRepositories(elsewhere.installation, { remove: [three] });
    await post(t, unknown).expect(202, { outcome: 'ignored', reason: 'unknown installation' });
    const recorded = await t.db.query<{ delivery_id: string; outcome: string }[]>(`SELECT delivery_id, outcome FROM github_app_deliveries WHERE delivery_id = $1`, [unknown.id]);
    expect(recorded).toEqual([{ delivery_id: unknown.id, outcome: 'ignored' }]);

    // Missed: acme's installation (its created event never arrived), and octocat/one removed.
    t.github.app.changeRepositories(elsewhere.installation, { add: [three] });
    t.github.app.changeRepositories(installation, { remove: [one] });
    const result = await syncInstallations(t.db, appOf(t), silent);
    expect(result).toEqual({ installations: 2, repositories: 2, removed: 0, failed: [] });
    expect(await installationRows(t)).toEqual([
      { id: String(elsewhere.installation.id), account_login: 'acme', repos: 'acme/three' },
      { id: String(installation.id), account_login: 'octocat', repos: 'octocat/two' },
    ]);
    // Uninstalled while nobody listened: the resync deletes it too.
    t.github.app.uninstall(elsewhere.installation);
    expect((await syncInstallations(t.db, appOf(t), silent))?.removed).toBe(1);
    expect((await installationRows(t)).map((r) => r.account_login)).toEqual(['octocat']);
    // One installation GitHub will not give a token for (suspended) keeps its rows and stops no other.
    const suspended = t.github.app.install(app, { login: 'acme', id: 77, type: 'Organization' }, [three]);
    await post(t, suspended.delivery).expect(200);
    suspended.installation.suspendedAt = new Date().toISOString();
    t.github.app.changeRepositories(installation, { add: [one] });
    expect((await syncInstallations(t.db, appOf(t), silent))?.failed).toEqual([suspended.installation.id]);
    expect(await installationRows(t)).toEqual([
      { id: String(suspended.installation.id), account_login: 'acme', repos: 'acme/three' },
      { id: String(installation.id), account_login: 'octocat', repos: 'octocat/one,octocat/two' },
    ]);
    await t.db.query(`DELETE FROM github_installations WHERE id = $1`, [suspended.installation.id]);
    // Uninstalled, and told by its delivery.
    await post(t, t.github.app.uninstall(installation)).expect(200, { outcome: 'applied', reason: 'installation deleted' });
    expect(await installationRows(t)).toEqual([]);
  });

  it('mints a token for one repository that the fake\'s git server refuses for another', async () => {
    const app = await connect(t, admin);
    const one = t.github.app.addRepository('octocat/one');
    t.github.app.addRepository('octocat/two');
    await post(t, t.github.app.install(app, { login: 'octocat', id: 4242, type: 'User' }, 'all').delivery).expect(200);
    const dir = await mkdtemp(join(tmpdir(), 'dangus-app-git-'));
    try {
      for (const repo of ['one', 'two']) {
        const bare = join(dir, `${repo}.git`);
        await exec('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
        const work = join(dir, `${repo}-work`);
        await exec('git', ['init', '--quiet', '--initial-branch=main', work]);
        await exec('git', ['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '--allow-empty', '-m', repo]);
        await exec('git', ['-C', work, 'push', '--quiet', bare, 'main']);
        t.github.gitRepos.set(`octocat/${repo}`, bare);
      }
      await exec('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
      const origin = await t.github.startGitServer({ host: '127.0.0.1', cert: await readFile(join(dir, 'cert.pem')), key: await readFile(join(dir, 'key.pem')) });
      const minted = await appOf(t).tokenForRepository(one.id);
      expect(t.github.app.tokenRequests.at(-1)).toMatchObject({ repositoryIds: [one.id], permissions: { contents: 'read' }, status: 201 });
      expect(Date.parse(minted.expiresAt) - Date.now()).toBeLessThanOrEqual(3_600_000);
      const lsRemote = (repo: string) =>
        exec('git', ['ls-remote', `${origin.replace('https://', `https://x-access-token:${minted.token}@`)}/octocat/${repo}.git`], {
          env: { ...process.env, GIT_SSL_CAINFO: join(dir, 'cert.pem'), GIT_TERMINAL_PROMPT: '0' },
        });
      expect((await lsRemote('one')).stdout).toMatch(/^[0-9a-f]{40}\tHEAD/m);
      await expect(lsRemote('two')).rejects.toThrow(/not found|404/i);
      expect(t.github.gitRequests.at(-1)).toMatchObject({ repo: 'octocat/two', status: 404 });
      // A repository outside every installation gets no token at all.
      const outside = t.github.app.addRepository('someone/else');
      await expect(appOf(t).tokenForRepository(outside.id)).rejects.toThrow(/not installed/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lists the repositories a user reaches through the installations, as GitHub says with the user\'s token', async () => {
    const app = await connect(t, admin);
    const mine = t.github.app.addRepository('octocat/mine');
    t.github.app.addRepository('acme/shared', { private: false });
    const secret = t.github.app.addRepository('other/secret');
    t.github.orgs.set('acme', new Set(['octocat']));
    for (const [account, repos] of [
      [{ login: 'octocat', id: 4242, type: 'User' as const }, [mine]],
      [{ login: 'acme', id: 77, type: 'Organization' as const }, 'all' as const],
      [{ login: 'other', id: 78, type: 'Organization' as const }, [secret]],
    ] as const) {
      await post(t, t.github.app.install(app, account, repos === 'all' ? 'all' : [...repos]).delivery).expect(200);
    }
    const user = await t.signIn('octocat', 4242);
    const listed = await request(t.app).get('/api/github/repositories').set('Cookie', user).expect(200);
    expect((listed.body as { fullName: string; private: boolean }[]).map((r) => [r.fullName, r.private])).toEqual([
      ['acme/shared', false],
      ['octocat/mine', true],
    ]);
    const install = await request(t.app).get('/api/github/installations/new').set('Cookie', user).expect(200);
    expect(install.body).toEqual({ url: `${t.github.url}/apps/${app.slug}/installations/new` });
    // The admin signed in with the OAuth app before the App existed: told to sign in again.
    await request(t.app).get('/api/github/repositories').set('Cookie', admin).expect(409);
  });

  it('authenticates the App with RS256 JWTs the fake checks, and its tokens expire', async () => {
    const app = await connect(t, admin);
    const jwt = (claims: Record<string, unknown>, key: string = app.pem) => {
      const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const unsigned = `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}`;
      return `${unsigned}.${sign('RSA-SHA256', Buffer.from(unsigned), key).toString('base64url')}`;
    };
    const now = Math.floor(Date.now() / 1000);
    const asApp = (token: string) => fetch(`${t.github.url}/app`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    expect(await asApp(jwt({ iat: now - 30, exp: now + 540, iss: app.id }))).toBe(200);
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(await asApp(jwt({ iat: now - 30, exp: now + 540, iss: app.id }, otherKey))).toBe(401);
    expect(await asApp(jwt({ iat: now - 700, exp: now - 100, iss: app.id }))).toBe(401);
    expect(await asApp(jwt({ iat: now, exp: now + 3600, iss: app.id }))).toBe(401);
    expect(t.github.app.jwtRefusals).toHaveLength(3);

    // The product's own App client (@octokit/auth-app) passes the same checks.
    const octokit = await appOf(t).appOctokit();
    expect((await octokit?.rest.apps.getAuthenticated())?.data?.id).toBe(app.id);

    const repo = t.github.app.addRepository('octocat/one');
    await post(t, t.github.app.install(app, { login: 'octocat', id: 4242, type: 'User' }, [repo]).delivery).expect(200);
    const minted = await appOf(t).tokenForRepository(repo.id);
    expect(t.github.app.gitAccess(minted.token, 'octocat/one')).toBe(200);
    t.github.app.now = () => Date.now() + 3_601_000;
    expect(t.github.app.gitAccess(minted.token, 'octocat/one')).toBe(401);
  });

  it('heals the rows with the controller\'s periodic resync', async () => {
    const app = await connect(t, admin);
    const repo = t.github.app.addRepository('octocat/one');
    t.github.app.install(app, { login: 'octocat', id: 4242, type: 'User' }, [repo]); // its delivery never arrives
    const sync = startInstallationSync({ db: t.db, app: appOf(t), logger: silent, intervalMs: 100 });
    try {
      const deadline = Date.now() + 10_000;
      while ((await installationRows(t)).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect((await installationRows(t)).map((r) => r.repos)).toEqual(['octocat/one']);
    } finally {
      sync.stop();
      await sync.syncNow();
    }
  });
});
