import request from 'supertest';
import { connect, post } from './support/github-app-flow.js';
import type { FakeApp, FakeInstallation, FakeRepository } from './support/fake-github-app.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { deliveryHeaders, pushPayload, randomSha } from './support/webhook-payloads.js';
import { invite } from './support/team-fixture.js';
import { BuildSource } from '../src/pipeline/build-source.js';
import { DeploymentRows } from '../src/pipeline/deployment-rows.js';
import { GitHubReports } from '../src/pipeline/github-reports.js';

/*
 * A service is bound to a GitHub repository (and so built through the App, sent its pushes
 * and pull requests) only when the acting user is shown to read it (docs/architecture.md#github-app):
 * knowing the name of another account's private repository on which the App is installed
 * gets nothing. Real PostgreSQL and the real process; GitHub is the fake, which answers
 * `GET /repos/{owner}/{repo}` to a user's App token as GitHub does (404 for a private
 * repository the user cannot see, installed or not).
 */

interface ServiceBody {
  id: string;
  webhookSecret: string;
  pushesViaApp: boolean;
  can: { deploy: { ok: boolean; reason: string | null } };
}

describe('binding a service to a repository', () => {
  let t: TestPlatform;
  let app: FakeApp;
  let alice: string;
  let mallory: string;
  let secret: FakeRepository;
  let installation: FakeInstallation;
  let serial = 0;

  beforeEach(async () => {
    t = await startTestPlatform({ ADMIN_GITHUB_USERS: 'root' });
    app = await connect(t, await t.signIn('root', 1));
    alice = await t.signIn('alice', 5001);
    mallory = await t.signIn('mallory', 5002);
    secret = t.github.app.addRepository('alice/secret');
    const installed = t.github.app.install(app, { login: 'alice', id: 5001, type: 'User' }, [secret]);
    installation = installed.installation;
    await post(t, installed.delivery).expect(200);
  }, 90_000);
  afterEach(async () => {
    await t.close();
  });

  const api = (method: 'get' | 'post' | 'patch', path: string, cookie: string) => request(t.app)[method](`/api${path}`).set('Cookie', cookie).set('Origin', ORIGIN);
  async function newService(cookie: string, repo: string, projectId?: string): Promise<ServiceBody> {
    serial += 1;
    const project = projectId ?? ((await api('post', '/projects', cookie).send({ name: `app${String(serial)}` }).expect(201)).body.id as string);
    return (await api('post', `/projects/${project}/services`, cookie).send({ name: `web${String(serial)}`, repoUrl: `https://github.com/${repo}`, port: 8080 }).expect(201)).body as ServiceBody;
  }
  const boundId = async (serviceId: string) =>
    (await t.db.query<{ id: string | null }[]>(`SELECT github_repository_id::text AS id FROM services WHERE id = $1`, [serviceId]))[0]?.id ?? null;
  const builds = (serviceId: string) => t.db.query<{ id: string; commit_sha: string }[]>(`SELECT id, commit_sha FROM deployments WHERE service_id = $1 ORDER BY created_at`, [serviceId]);
  const deliveries = (serviceId: string) => t.db.query<{ delivery_id: string }[]>(`SELECT delivery_id FROM webhook_deliveries WHERE service_id = $1`, [serviceId]);
  const tokensFor = (repository: FakeRepository) => t.github.app.tokenRequests.filter((r) => r.repositoryIds?.includes(repository.id) && r.status === 201);

  it('another account\'s private repository, by its name: created and updated unbound, refused at build time, no push and no pull request reach it', async () => {
    // Created with Alice's repository's URL: GitHub does not show it to Mallory, so nothing is bound.
    const created = await newService(mallory, 'alice/secret');
    expect(await boundId(created.id)).toBeNull();
    expect(created.pushesViaApp).toBe(false);
    expect(created.can.deploy).toEqual({ ok: false, reason: expect.stringContaining('The platform has not checked that you can read alice/secret') });
    // Through an update: another repository first, then Alice's; saving it again changes nothing.
    const updated = await newService(mallory, 'mallory/tools');
    await api('patch', `/services/${updated.id}`, mallory).send({ repoUrl: 'https://github.com/alice/secret' }).expect(200);
    await api('patch', `/services/${updated.id}`, mallory).send({ repoUrl: 'https://github.com/alice/secret' }).expect(200);
    expect(await boundId(updated.id)).toBeNull();
    // Check access: GitHub's answer to Mallory's own token, as a 409 that binds nothing.
    const checked = await api('post', `/services/${created.id}/repository-access`, mallory).expect(409);
    expect(checked.body.error.message).toContain('GitHub says you cannot read alice/secret');
    expect(await boundId(created.id)).toBeNull();

    // Alice's own service of it binds to GitHub's id.
    const own = await newService(alice, 'alice/secret');
    expect(await boundId(own.id)).toBe(String(secret.id));
    expect(own.pushesViaApp).toBe(true);

    // A push to the private repository builds Alice's service only: nothing reaches or binds Mallory's.
    const sha = randomSha();
    const pushed = t.github.app.push(app, secret, { ref: 'refs/heads/main', after: sha });
    await post(t, pushed).expect(200);
    expect((await builds(own.id)).map((b) => b.commit_sha)).toEqual([sha]);
    for (const service of [created, updated]) {
      expect(await builds(service.id)).toEqual([]);
      expect(await deliveries(service.id)).toEqual([]);
      expect(await boundId(service.id)).toBeNull();
    }

    // A pull request: Mallory's previews see nothing of it, and nothing is written on GitHub for her.
    await api('patch', `/services/${created.id}`, mallory).send({ previews: { enabled: true } }).expect(200);
    const pull = t.github.app.pulls.open({ id: secret.id, fullName: 'alice/secret', private: true }, { author: 'alice', headSha: randomSha(), title: 'Secret plans' });
    const opened = t.github.app.deliver(app, 'pull_request', t.github.app.pulls.payload(pull, 'opened'));
    await post(t, opened).expect(200);
    expect((await api('get', `/services/${created.id}/previews`, mallory).expect(200)).body).toEqual([]);
    expect(t.github.app.pulls.comments).toEqual([]);
    const [routed] = await t.db.query<{ reason: string }[]>(`SELECT reason FROM github_app_deliveries WHERE delivery_id = $1`, [opened.id]);
    expect(routed?.reason).toContain(own.id);
    expect(routed?.reason).not.toContain(created.id);

    // Her own per-service webhook (she holds its secret) records a build of any sha she names:
    // the build refuses to read the repository, no installation token is minted for it, and
    // nothing is reported on Alice's repository.
    const minted = tokensFor(secret).length;
    const body = JSON.stringify(pushPayload({ repo: 'alice/secret', ref: 'refs/heads/main', after: randomSha() }));
    const answer = await request(t.app).post(`/webhooks/github/${created.id}`).set(deliveryHeaders(created.webhookSecret, body, 'push')).send(body).expect(202);
    const rows = new DeploymentRows({ db: t.db, events: t.ctx.events, logger: t.ctx.logger });
    const row = await rows.load(String(answer.body.deploymentId));
    if (!row) throw new Error('the push recorded no build');
    const source = new BuildSource({ db: t.db, encryptor: t.encryptor, githubApp: t.ctx.githubApp, github: t.ctx.github });
    expect(await source.tokenFor(row)).toEqual({ refused: expect.stringContaining('open the service\'s settings and choose "Check access"') });
    const githubApp = t.ctx.githubApp;
    if (!githubApp) throw new Error('no App');
    const reports = new GitHubReports({ db: t.db, githubApp, logger: t.ctx.logger, publicUrl: ORIGIN, serviceUrl: () => ORIGIN, logTail: () => Promise.resolve('') });
    expect(await reports.covers(row)).toBeNull();
    expect(tokensFor(secret)).toHaveLength(minted);
    // Alice's build of the same repository reads it through the App.
    const ownRow = await rows.load((await builds(own.id))[0]?.id ?? '');
    if (!ownRow) throw new Error('Alice\'s push recorded no build');
    expect(await source.tokenFor(ownRow)).toEqual({ token: expect.stringMatching(/^ghs_/) });
    expect(await reports.covers(ownRow)).toBe(secret.id);
  });

  it('a public repository binds for anyone; a private one once its owner checks access', async () => {
    const open = t.github.app.addRepository('alice/open', { private: false });
    await post(t, t.github.app.changeRepositories(installation, { add: [open] })).expect(200);
    // Anyone reads a public repository: Mallory's service of it binds to the id GitHub gives.
    const theirs = await newService(mallory, 'alice/open');
    expect(await boundId(theirs.id)).toBe(String(open.id));
    const mine = await newService(alice, 'alice/open');
    await post(t, t.github.app.push(app, open, { ref: 'refs/heads/main' })).expect(200);
    expect(await builds(theirs.id)).toHaveLength(1);
    // Made private: that binding was shown only by its being public. The next push (private
    // now) neither reaches nor keeps Mallory's service; Alice's, shown with her token, builds.
    open.private = true;
    await post(t, t.github.app.push(app, open, { ref: 'refs/heads/main', pushedAt: Math.floor(Date.now() / 1000) + 10 })).expect(200);
    expect(await builds(theirs.id)).toHaveLength(1);
    expect(await boundId(theirs.id)).toBeNull();
    expect(await builds(mine.id)).toHaveLength(2);
    expect(await boundId(mine.id)).toBe(String(open.id));
    // Without a push: the installation's rows saying it is private drop such a binding too.
    const again = await newService(mallory, 'alice/open');
    expect(await boundId(again.id)).toBeNull();
    open.private = false;
    const rebound = await newService(mallory, 'alice/open');
    expect(await boundId(rebound.id)).toBe(String(open.id));
    open.private = true;
    await post(t, t.github.app.changeRepositories(installation, { add: [open] })).expect(200);
    expect(await boundId(rebound.id)).toBeNull();

    // Alice's service of a private repository made before the App was installed on it: unbound,
    // its push ignored; Check access binds it, and the next push builds.
    const later = t.github.app.addRepository('alice/later');
    const service = await newService(alice, 'alice/later');
    expect(await boundId(service.id)).toBeNull();
    await post(t, t.github.app.install(app, { login: 'alice', id: 5001, type: 'User' }, [later]).delivery).expect(200);
    await post(t, t.github.app.push(app, later, { ref: 'refs/heads/main' })).expect(202);
    expect(await builds(service.id)).toEqual([]);
    const checked = (await api('post', `/services/${service.id}/repository-access`, alice).expect(200)).body as ServiceBody;
    expect(checked.pushesViaApp).toBe(true);
    expect(await boundId(service.id)).toBe(String(later.id));
    await post(t, t.github.app.push(app, later, { ref: 'refs/heads/main' })).expect(200);
    expect(await builds(service.id)).toHaveLength(1);
  });

  it('an expired GitHub sign-in binds nothing and says to sign in again', async () => {
    const service = await newService(alice, 'alice/secret');
    await t.db.query(`UPDATE services SET github_repository_id = NULL WHERE id = $1`, [service.id]);
    // A token GitHub no longer takes (401), as an App user token is once expired.
    await t.db.query(`UPDATE users SET github_access_token = $2 WHERE github_username = $1`, ['alice', t.encryptor.encrypt('ghu_expired')]);
    const checked = await api('post', `/services/${service.id}/repository-access`, alice).expect(409);
    expect(checked.body.error.message).toBe('Your GitHub sign-in expired, so the platform cannot check that you can read alice/secret: sign in again, then check access.');
    expect(await boundId(service.id)).toBeNull();
    await t.signIn('alice', 5001);
    await api('post', `/services/${service.id}/repository-access`, alice).expect(200);
    expect(await boundId(service.id)).toBe(String(secret.id));
  });

  it('GitHub\'s rate limit and a check GitHub did not answer are told as such', async () => {
    const service = await newService(alice, 'alice/secret');
    await t.db.query(`UPDATE services SET github_repository_id = NULL WHERE id = $1`, [service.id]);
    // A 403 with x-ratelimit-remaining: 0 (then the anonymous ask too): the rate limit and when it resets, not "hidden".
    const reset = Math.floor(Date.UTC(2030, 0, 1, 14, 37) / 1000);
    const limit = { status: 403, message: 'API rate limit exceeded', headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) } };
    t.github.failRepositoryNext.push(limit, limit);
    const limited = await api('post', `/services/${service.id}/repository-access`, alice).expect(409);
    expect(limited.body.error.message).toBe('GitHub\'s rate limit stopped the check that you can read alice/secret: try again at 14:37 UTC.');
    // A 429 without a reset time.
    t.github.failRepositoryNext.push({ status: 429, message: 'Too Many Requests' }, { status: 429, message: 'Too Many Requests' });
    expect((await api('post', `/services/${service.id}/repository-access`, alice).expect(409)).body.error.message).toContain('try again in a few minutes');
    // A 5xx to her token, the repository private: says GitHub did not answer, not "the platform has not checked".
    t.github.failRepositoryNext.push({ status: 502, message: 'Bad Gateway' });
    const unanswered = await api('post', `/services/${service.id}/repository-access`, alice).expect(409);
    expect(unanswered.body.error.message).toBe('GitHub did not answer when asked with your GitHub sign-in whether you can read alice/secret, and it is not public, so nothing was checked: try again in a moment.');
    expect(await boundId(service.id)).toBeNull();
    await api('post', `/services/${service.id}/repository-access`, alice).expect(200);
    expect(await boundId(service.id)).toBe(String(secret.id));
  });

  it('in a team project, the acting member\'s own token is what shows access, never the team\'s', async () => {
    const team = (await api('post', '/teams', alice).send({ name: 'Acme', slug: 'acme' }).expect(201)).body.id as string;
    await invite(t, alice, team, mallory, 'mallory', 'maintainer');
    const project = (await api('post', '/projects', alice).send({ name: 'shop', teamId: team }).expect(201)).body.id as string;
    // Mallory, a maintainer of the team, cannot read Alice's private repository: her service of it is unbound.
    const service = await newService(mallory, 'alice/secret', project);
    expect(await boundId(service.id)).toBeNull();
    await api('post', `/services/${service.id}/repository-access`, mallory).expect(409);
    expect(await boundId(service.id)).toBeNull();
    // Alice, a member who reads it, shows it: bound; Mallory checking again changes nothing.
    await api('post', `/services/${service.id}/repository-access`, alice).expect(200);
    expect(await boundId(service.id)).toBe(String(secret.id));
    await api('post', `/services/${service.id}/repository-access`, mallory).expect(409);
    expect(await boundId(service.id)).toBe(String(secret.id));
    // A push now builds the team's service.
    await post(t, t.github.app.push(app, secret, { ref: 'refs/heads/main' })).expect(200);
    expect(await builds(service.id)).toHaveLength(1);
  });
});
