import request from 'supertest';
import { connect, post } from './support/github-app-flow.js';
import type { FakeApp, FakeInstallation, FakeRepository } from './support/fake-github-app.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { deliveryHeaders, randomSha } from './support/webhook-payloads.js';
import { DeploymentRows } from '../src/pipeline/deployment-rows.js';
import { GitHubReports } from '../src/pipeline/github-reports.js';
import { reportPreviewBuild } from '../src/use-cases/preview-build-reports.js';

/*
 * Previews act on GitHub only through the service's proven binding (docs/architecture.md#github-app):
 * a pull request forged on a per-service webhook (its secret is the service members') with
 * another account's repository id, or a binding shown only by publicness, makes no call with
 * that account's installation; users' values in the comment are plain text. Real PostgreSQL
 * and the real process; GitHub is the fake, in GitHub's shapes.
 */

interface ServiceBody {
  id: string;
  webhookSecret: string;
  pushesViaApp: boolean;
}

describe('previews through the service\'s binding only', () => {
  let t: TestPlatform;
  let app: FakeApp;
  let bigorg: string;
  let mallory: string;
  let popular: FakeRepository;
  let open: FakeRepository;
  let installation: FakeInstallation;
  let serial = 0;

  beforeEach(async () => {
    t = await startTestPlatform({ ADMIN_GITHUB_USERS: 'root' });
    app = await connect(t, await t.signIn('root', 1));
    bigorg = await t.signIn('bigboss', 6001);
    mallory = await t.signIn('mallory', 6002);
    popular = t.github.app.addRepository('bigboss/popular');
    open = t.github.app.addRepository('bigboss/open', { private: false });
    const installed = t.github.app.install(app, { login: 'bigboss', id: 6001, type: 'User' }, [popular, open]);
    installation = installed.installation;
    await post(t, installed.delivery).expect(200);
    t.github.app.pulls.setPermission('bigboss/popular', 'bigboss', 'admin');
    t.github.app.pulls.setPermission('bigboss/open', 'bigboss', 'admin');
  }, 90_000);
  afterEach(async () => {
    await t.close();
  });

  const api = (method: 'get' | 'post' | 'patch', path: string, cookie: string) => request(t.app)[method](`/api${path}`).set('Cookie', cookie).set('Origin', ORIGIN);
  async function newService(cookie: string, repo: string): Promise<ServiceBody> {
    serial += 1;
    const project = (await api('post', '/projects', cookie).send({ name: `app${String(serial)}` }).expect(201)).body.id as string;
    const created = (await api('post', `/projects/${project}/services`, cookie).send({ name: `web${String(serial)}`, repoUrl: `https://github.com/${repo}`, port: 8080 }).expect(201)).body as ServiceBody;
    await api('patch', `/services/${created.id}`, cookie).send({ previews: { enabled: true } }).expect(200);
    return (await api('get', `/services/${created.id}`, cookie).expect(200)).body as ServiceBody;
  }
  const tokensFor = (repository: FakeRepository) => t.github.app.tokenRequests.filter((r) => r.repositoryIds?.includes(repository.id));
  const reason = async (serviceId: string, deliveryId: string) =>
    (await t.db.query<{ reason: string }[]>(`SELECT reason FROM webhook_deliveries WHERE service_id = $1 AND delivery_id = $2`, [serviceId, deliveryId]))[0]?.reason;
  /** A signed `pull_request opened` of `repository` (GitHub's real id) on the service's own webhook. */
  async function forge(service: ServiceBody, repository: FakeRepository, author: string): Promise<string> {
    const pull = t.github.app.pulls.open({ id: repository.id, fullName: `${repository.owner}/${repository.name}`, private: repository.private }, { author, headSha: randomSha() });
    const body = JSON.stringify(t.github.app.pulls.payload(pull, 'opened'));
    const headers = deliveryHeaders(service.webhookSecret, body, 'pull_request');
    await request(t.app).post(`/webhooks/github/${service.id}`).set(headers).send(body).expect((res) => expect([200, 202]).toContain(res.status));
    return headers['X-GitHub-Delivery'] ?? '';
  }

  it('a pull request forged on a per-service webhook with another account\'s repository id asks and tells GitHub nothing', async () => {
    // Mallory's service of bigboss's private repository: unbound (GitHub does not show it to her).
    const service = await newService(mallory, 'bigboss/popular');
    const minted = tokensFor(popular).length;
    const delivery = await forge(service, popular, 'bigboss');
    // Recorded on her service, waiting for an approval (nobody asked who may write), and no
    // installation token, permission request, comment or Deployment on bigboss's repository.
    const [preview] = (await api('get', `/services/${service.id}/previews`, mallory).expect(200)).body as { state: string }[];
    expect(preview?.state).toBe('awaiting_approval');
    expect(tokensFor(popular)).toHaveLength(minted);
    expect(t.github.app.pulls.requests).toEqual([]);
    expect(t.github.app.pulls.comments).toEqual([]);
    expect(await reason(service.id, delivery)).toContain('GitHub not asked or told: the service is not bound to its GitHub repository');

    // Bound (bigboss's own service), but a payload naming another repository's id: nothing either.
    const own = await newService(bigorg, 'bigboss/open');
    const other = await forge(own, Object.assign({}, open, { id: popular.id }), 'bigboss');
    expect(await reason(own.id, other)).toContain(`the pull request's repository id ${String(popular.id)} is not the id the service is bound to`);
    expect(t.github.app.pulls.comments).toEqual([]);
    expect(t.github.app.pulls.requests).toEqual([]);
  });

  it('a binding shown only by publicness writes nothing on GitHub; the owner\'s own binding does', async () => {
    const theirs = await newService(mallory, 'bigboss/open');
    const [row] = await t.db.query<{ id: string | null; publicOnly: boolean }[]>(
      `SELECT github_repository_id::text AS id, github_repository_public_only AS "publicOnly" FROM services WHERE id = $1`,
      [theirs.id],
    );
    expect(row).toEqual({ id: String(open.id), publicOnly: true });
    const minted = tokensFor(open).length;
    const delivery = await forge(theirs, open, 'bigboss');
    expect(await reason(theirs.id, delivery)).toContain('only because it is public');
    // Through the App's webhook too (routed to every service of the repository).
    const pull = t.github.app.pulls.open({ id: open.id, fullName: 'bigboss/open', private: false }, { author: 'bigboss', headSha: randomSha() });
    await post(t, t.github.app.deliver(app, 'pull_request', t.github.app.pulls.payload(pull, 'opened'))).expect((res) => expect([200, 202]).toContain(res.status));
    expect(tokensFor(open)).toHaveLength(minted);
    expect(t.github.app.pulls.comments).toEqual([]);
    // The end of its build (pipeline/preview-builds.ts reports it) tells GitHub nothing either.
    const previews = await t.db.query<{ id: string }[]>(`SELECT id FROM previews WHERE service_id = $1`, [theirs.id]);
    expect(previews.length).toBeGreaterThan(0);
    for (const preview of previews) await reportPreviewBuild(t.ctx, preview.id);
    expect(tokensFor(open)).toHaveLength(minted);
    expect(t.github.app.pulls.comments).toEqual([]);

    // bigboss's own service, shown with his token: his previews comment.
    const own = await newService(bigorg, 'bigboss/open');
    await forge(own, open, 'bigboss');
    expect(t.github.app.pulls.comments.length).toBeGreaterThan(0);
  });

  it('a public-only binding gets no Check Run or Deployment, and ends at once when GitHub says the repository went private', async () => {
    const theirs = await newService(mallory, 'bigboss/open');
    const own = await newService(bigorg, 'bigboss/open');
    await post(t, t.github.app.push(app, open, { ref: 'refs/heads/main' })).expect(200);
    const githubApp = t.ctx.githubApp;
    if (!githubApp) throw new Error('no App');
    const rows = new DeploymentRows({ db: t.db, events: t.ctx.events, logger: t.ctx.logger });
    const reports = new GitHubReports({ db: t.db, githubApp, logger: t.ctx.logger, publicUrl: ORIGIN, serviceUrl: () => ORIGIN, logTail: () => Promise.resolve('') });
    const rowOf = async (serviceId: string) => {
      const [build] = await t.db.query<{ id: string }[]>(`SELECT id FROM deployments WHERE service_id = $1`, [serviceId]);
      const row = await rows.load(build?.id ?? '');
      if (!row) throw new Error('the push recorded no build');
      return row;
    };
    // Both built (a public repository is anyone's to read); only the proven binding reports on GitHub.
    expect(await reports.covers(await rowOf(theirs.id))).toBeNull();
    expect(await reports.covers(await rowOf(own.id))).toBe(open.id);

    // Private in the installation's rows, before any event: the service page no longer says pushes come through the App.
    await t.db.query(`UPDATE github_installation_repositories SET private = true WHERE repository_id = $1`, [open.id]);
    expect(((await api('get', `/services/${theirs.id}`, mallory).expect(200)).body as ServiceBody).pushesViaApp).toBe(false);

    // The App's `repository privatized` event ends such a binding at once; the proven one stays.
    const again = await newService(mallory, 'bigboss/popular');
    await t.db.query(`UPDATE services SET github_repository_id = $2, github_repository_public_only = true WHERE id = $1`, [again.id, popular.id]);
    const privatized = t.github.app.deliver(app, 'repository', {
      action: 'privatized',
      repository: { id: popular.id, full_name: 'bigboss/popular', private: true },
      installation: { id: installation.id },
      sender: { login: 'bigboss', type: 'User' },
    });
    const answered = await post(t, privatized).expect(200);
    expect(answered.body.reason).toContain('1 binding(s) shown only by publicness ended');
    const bound = await t.db.query<{ id: string | null }[]>(`SELECT github_repository_id::text AS id FROM services WHERE id = ANY($1::uuid[]) ORDER BY id = $2 DESC`, [[again.id, own.id], again.id]);
    expect(bound.map((b) => b.id)).toEqual([null, String(open.id)]);
    // `deleted` ends every binding to the id.
    await post(t, t.github.app.deliver(app, 'repository', { action: 'deleted', repository: { id: open.id, full_name: 'bigboss/open', private: true }, installation: { id: installation.id } })).expect(200);
    expect((await t.db.query<{ id: string | null }[]>(`SELECT github_repository_id::text AS id FROM services WHERE id = $1`, [own.id]))[0]?.id).toBeNull();
  });

  it('users\' values in a preview\'s comment are plain text: no link, mention or HTML', async () => {
    const own = await newService(bigorg, 'bigboss/popular');
    const login = '[click](https://evil.example/x) @everyone <img src=x>';
    await forge(own, popular, login);
    const [comment] = t.github.app.pulls.comments;
    expect(comment?.body).toContain('has no write access');
    expect(comment?.body).not.toContain('[click](https://evil.example/x)');
    // Every markdown or HTML character of it is backslash-escaped.
    expect(comment?.body).not.toMatch(/(^|[^\\])<img/);
    expect(comment?.body).not.toMatch(/(^|[^\\])@everyone/);
    expect(comment?.body).toContain('\\[click\\]\\(https\\:\\/\\/evil\\.example\\/x\\) \\@everyone \\<img src\\=x\\>');
  });
});
