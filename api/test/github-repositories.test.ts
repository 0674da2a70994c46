import request from 'supertest';
import { connect, post } from './support/github-app-flow.js';
import { startTestPlatform, type TestPlatform } from './support/platform.js';

/*
 * The new-service form's pickers through the GitHub App: a user's repositories and a
 * repository's branches, as GitHub answers the user's own token and the installation.
 */
describe('repositories and branches through the GitHub App', () => {
  let t: TestPlatform;
  let admin: string;
  beforeEach(async () => {
    t = await startTestPlatform({ ADMIN_GITHUB_USERS: 'root' });
    admin = await t.signIn('root', 1);
  });
  afterEach(async () => {
    await t.close();
  });

  const sha = (n: number) => n.toString(16).padStart(40, '0');
  const branches = (t: TestPlatform, repo: string, names: string[]) => {
    names.forEach((name, i) => t.github.branches.set(`${repo}#${name}`, { sha: sha(i + 1), message: name }));
  };

  it('without an App, says so with 409 on both routes', async () => {
    const user = await t.signIn('octocat', 4242);
    for (const path of ['/api/github/repositories', '/api/github/repositories/octocat/mine/branches']) {
      const answer = await request(t.app).get(path).set('Cookie', user).expect(409);
      expect(answer.body).toEqual({
        error: { code: 'no_github_app', message: 'No GitHub App is connected: an admin connects one on the System page (System → GitHub).' },
      });
    }
  });

  it('lists the branches of a repository the user sees, default first, through a token for that one repository', async () => {
    const app = await connect(t, admin);
    const mine = t.github.app.addRepository('octocat/mine', { defaultBranch: 'trunk' });
    t.github.app.addRepository('octocat/other');
    branches(t, 'octocat/mine', ['alpha', 'feature/login', 'trunk', 'zeta']);
    branches(t, 'octocat/other', ['secret-branch']);
    await post(t, t.github.app.install(app, { login: 'octocat', id: 4242, type: 'User' }, 'all').delivery).expect(200);
    const user = await t.signIn('octocat', 4242);

    const listed = await request(t.app).get('/api/github/repositories').set('Cookie', user).expect(200);
    expect((listed.body as unknown[])[0]).toEqual({
      id: mine.id,
      fullName: 'octocat/mine',
      private: true,
      defaultBranch: 'trunk',
      repoUrl: 'https://github.com/octocat/mine',
      installationId: expect.any(Number) as unknown,
      account: 'octocat',
      accountType: 'User',
    });

    const answer = await request(t.app).get('/api/github/repositories/octocat/mine/branches').set('Cookie', user).expect(200);
    expect(answer.body).toEqual({
      repository: { id: mine.id, fullName: 'octocat/mine', private: true, defaultBranch: 'trunk', repoUrl: 'https://github.com/octocat/mine' },
      branches: [{ name: 'trunk' }, { name: 'alpha' }, { name: 'feature/login' }, { name: 'zeta' }],
      truncated: false,
    });
    // Read through the installation, with a token for this repository and `contents: read` only.
    expect(t.github.app.tokenRequests.at(-1)).toMatchObject({ repositoryIds: [mine.id], permissions: { contents: 'read' }, status: 201 });
  });

  it('renews an expired sign-in before asking GitHub: the branches still list after 8 hours', async () => {
    const app = await connect(t, admin);
    t.github.app.addRepository('octocat/mine', { defaultBranch: 'trunk' });
    branches(t, 'octocat/mine', ['trunk']);
    await post(t, t.github.app.install(app, { login: 'octocat', id: 4242, type: 'User' }, 'all').delivery).expect(200);
    const user = await t.signIn('octocat', 4242);
    // Eight hours later: GitHub refuses the App user token; the platform knows it expired.
    t.github.app.userTokens.expireAll();
    await t.db.query(`UPDATE users SET github_token_expires_at = now() - interval '1 minute' WHERE github_username = 'octocat'`);
    const answer = await request(t.app).get('/api/github/repositories/octocat/mine/branches').set('Cookie', user).expect(200);
    expect((answer.body as { branches: unknown[] }).branches).toEqual([{ name: 'trunk' }]);
    expect(t.github.app.userTokens.refreshes.map((r) => r.ok)).toEqual([true]);
    // A refresh GitHub refuses (the refresh token spent elsewhere): sign in again, said plainly.
    t.github.app.userTokens.expireAll();
    await t.db.query(`UPDATE users SET github_token_expires_at = now() - interval '1 minute', github_refresh_token = $1 WHERE github_username = 'octocat'`, [t.encryptor.encrypt('ghr_spent')]);
    const refused = await request(t.app).get('/api/github/repositories/octocat/mine/branches').set('Cookie', user).expect(409);
    expect(refused.body.error.message).toBe('Your GitHub sign-in expired: sign in again.');
  });

  it('is a 404 that tells nothing for a repository the user cannot see, one outside every installation, or none at all', async () => {
    const app = await connect(t, admin);
    const secret = t.github.app.addRepository('acme/secret');
    branches(t, 'acme/secret', ['main']);
    t.github.app.addRepository('octocat/uninstalled', { private: false });
    branches(t, 'octocat/uninstalled', ['main']);
    await post(t, t.github.app.install(app, { login: 'acme', id: 77, type: 'Organization' }, [secret]).delivery).expect(200);
    const user = await t.signIn('octocat', 4242);
    const tokensBefore = t.github.app.tokenRequests.length;

    for (const path of ['acme/secret', 'octocat/uninstalled', 'octocat/nothing-here', 'ACME/secret']) {
      const answer = await request(t.app).get(`/api/github/repositories/${path}/branches`).set('Cookie', user).expect(404);
      expect(answer.body).toEqual({ error: { code: 'not_found', message: 'Repository not found.' } });
    }
    // Nothing was read through the installation for them.
    expect(t.github.app.tokenRequests.length).toBe(tokensBefore);
    expect((await request(t.app).get('/api/github/repositories').set('Cookie', user).expect(200)).body).toEqual([]);

    // Once the user joins the organization, GitHub lets them see it, and so does the platform.
    t.github.orgs.set('acme', new Set(['octocat']));
    const seen = await request(t.app).get('/api/github/repositories/acme/secret/branches').set('Cookie', user).expect(200);
    expect((seen.body as { branches: unknown[] }).branches).toEqual([{ name: 'main' }]);
  });

  it('reads an installation whose webhook has not arrived yet, by asking GitHub as the App', async () => {
    const app = await connect(t, admin);
    const fresh = t.github.app.addRepository('octocat/fresh');
    branches(t, 'octocat/fresh', ['main']);
    const { installation } = t.github.app.install(app, { login: 'octocat', id: 4242, type: 'User' }, [fresh]); // its delivery never arrives
    const user = await t.signIn('octocat', 4242);
    const answer = await request(t.app).get('/api/github/repositories/octocat/fresh/branches').set('Cookie', user).expect(200);
    expect((answer.body as { branches: unknown[] }).branches).toEqual([{ name: 'main' }]);
    expect(t.github.app.tokenRequests.at(-1)).toMatchObject({ installationId: installation.id, repositoryIds: [fresh.id], status: 201 });
  });

  it('refuses a malformed name with the field, and says when GitHub\'s rate limit resets', async () => {
    const app = await connect(t, admin);
    const mine = t.github.app.addRepository('octocat/mine');
    await post(t, t.github.app.install(app, { login: 'octocat', id: 4242, type: 'User' }, [mine]).delivery).expect(200);
    const user = await t.signIn('octocat', 4242);

    const bad = await request(t.app).get('/api/github/repositories/-octo--/mine/branches').set('Cookie', user).expect(400);
    expect(Object.keys((bad.body as { error: { fields: Record<string, unknown> } }).error.fields)).toEqual(['owner']);
    await request(t.app).get('/api/github/repositories/octocat/..%2F..%2Fuser/branches').set('Cookie', user).expect(400);

    const reset = Math.floor(Date.UTC(2030, 0, 1, 10, 42) / 1000);
    t.github.failBranchesWith = { status: 403, message: 'API rate limit exceeded for installation ID 1.', headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) } };
    const limited = await request(t.app).get('/api/github/repositories/octocat/mine/branches').set('Cookie', user).expect(502);
    expect(limited.body).toEqual({ error: { code: 'upstream_failed', message: "GitHub's API rate limit is used up until 10:42 UTC: list the branches then." } });
    t.github.failBranchesWith = { status: 500, message: 'Server Error' };
    const failed = await request(t.app).get('/api/github/repositories/octocat/mine/branches').set('Cookie', user).expect(502);
    expect((failed.body as { error: { message: string } }).error.message).toBe('GitHub could not answer (HTTP 500): list the branches again in a moment.');

    // The admin signed in before the App existed: told to sign in again.
    const stale = await request(t.app).get('/api/github/repositories/octocat/mine/branches').set('Cookie', admin).expect(409);
    expect((stale.body as { error: { message: string } }).error.message).toMatch(/Sign in again/);
  });
});
