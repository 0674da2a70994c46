import request from 'supertest';
import { connect, post } from './support/github-app-flow.js';
import type { FakeApp, FakeRepository } from './support/fake-github-app.js';
import type { FakePull } from './support/fake-github-pulls.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { randomSha } from './support/webhook-payloads.js';
import { reconcilePreviews } from '../src/use-cases/preview-reconcile.js';

/*
 * Previews (issue 35), the reviewer's findings: an approval names the commit the maintainer
 * saw; a blocked owner's previews do not open through the App; a closed preview stays closed
 * until its pull request is reopened. Real PostgreSQL and process; GitHub is the fake.
 */

interface PreviewDto {
  number: number;
  state: string;
  headSha: string;
  closedAt: string | null;
}

describe('previews: review fixes', () => {
  let t: TestPlatform;
  let admin: string;
  let user: string;
  let app: FakeApp;
  let repo: FakeRepository;
  const full = () => `${repo.owner}/${repo.name}`;

  beforeEach(async () => {
    t = await startTestPlatform({ ADMIN_GITHUB_USERS: 'root' });
    admin = await t.signIn('root', 1);
    app = await connect(t, admin);
    user = await t.signIn('octocat', 4242);
    repo = t.github.app.addRepository('octocat/shop');
    await post(t, t.github.app.install(app, { login: 'octocat', id: 4242, type: 'User' }, [repo]).delivery).expect(200);
    t.github.app.pulls.setPermission(full(), 'octocat', 'admin');
    t.github.app.pulls.setPermission(full(), 'alice', 'write');
  }, 90_000);
  afterEach(async () => {
    await t.close();
  });

  const api = (method: 'get' | 'post' | 'patch', path: string, cookie = user) => request(t.app)[method](`/api${path}`).set('Cookie', cookie).set('Origin', ORIGIN);
  async function newService(): Promise<string> {
    const project = (await api('post', '/projects').send({ name: 'app' }).expect(201)).body.id as string;
    const id = (await api('post', `/projects/${project}/services`).send({ name: 'web', repoUrl: `https://github.com/${full()}`, port: 8080 }).expect(201)).body.id as string;
    await api('patch', `/services/${id}`).send({ previews: { enabled: true } }).expect(200);
    return id;
  }
  const previews = async (serviceId: string) => (await api('get', `/services/${serviceId}/previews`).expect(200)).body as PreviewDto[];
  const deliver = (pull: FakePull, action: string, extra: { sender?: string; label?: string } = {}) =>
    post(t, t.github.app.deliver(app, 'pull_request', t.github.app.pulls.payload(pull, action, extra)));
  const openPull = (options: { fork?: boolean } = {}) =>
    t.github.app.pulls.open(
      { id: repo.id, fullName: full() },
      { author: options.fork ? 'mallory' : 'alice', headSha: randomSha(), ...(options.fork ? { fork: { id: repo.id + 100_000, fullName: 'mallory/shop' } } : {}) },
    );
  const previewIntents = async () => (await t.intents()).filter((i) => i.verb === 'preview').map((i) => i.summary);

  it('approves only the head commit the maintainer saw: 409 when the head moved, 400 without one', async () => {
    const serviceId = await newService();
    const pull = openPull({ fork: true });
    await deliver(pull, 'opened').expect(200);
    const seen = pull.headSha;
    // The fork pushes again between the page load and the click.
    pull.headSha = randomSha();
    await deliver(pull, 'synchronize').expect(200);
    const moved = await api('post', `/services/${serviceId}/previews/1/approve`).send({ headSha: seen }).expect(409);
    expect(moved.body.error.message).toContain(`moved to ${pull.headSha.slice(0, 7)}`);
    expect((await previews(serviceId))[0]).toMatchObject({ state: 'awaiting_approval', headSha: pull.headSha });
    expect(await previewIntents()).toEqual([]);
    // No commit named, or not a commit: 400 with the field, nothing approved.
    for (const body of [{}, { headSha: 'main' }, { headSha: pull.headSha, extra: 1 }]) {
      const refused = await api('post', `/services/${serviceId}/previews/1/approve`).send(body).expect(400);
      expect(Object.keys(refused.body.error.fields as object).some((field) => field === 'headSha' || field === 'extra')).toBe(true);
    }
    expect((await previews(serviceId))[0]).toMatchObject({ state: 'awaiting_approval' });
    // The commit on the page is the head: it builds.
    await api('post', `/services/${serviceId}/previews/1/approve`).send({ headSha: pull.headSha }).expect(200);
    expect((await previews(serviceId))[0]).toMatchObject({ state: 'pending', headSha: pull.headSha });
    expect(await previewIntents()).toEqual([`pr #1 approved by octocat: build ${pull.headSha.slice(0, 7)}`]);
  });

  it('opens no preview of a blocked owner through the App\'s webhook', async () => {
    const serviceId = await newService();
    const [row] = await t.db.query<{ id: string }[]>(`SELECT id FROM users WHERE github_username = 'octocat'`);
    await request(t.app).post(`/api/admin/users/${row?.id ?? ''}/block`).set({ Cookie: admin, Origin: ORIGIN }).expect(200);
    await deliver(openPull(), 'opened');
    const [delivery] = await t.db.query<{ reason: string }[]>(`SELECT reason FROM github_app_deliveries WHERE event = 'pull_request' ORDER BY id DESC LIMIT 1`);
    expect(delivery?.reason).toBe('no service builds octocat/shop');
    const [stored] = await t.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM previews WHERE service_id = $1`, [serviceId]);
    expect(stored?.n).toBe(0);
    expect(await previewIntents()).toEqual([]);
    expect(t.github.app.pulls.commentsOn(full(), 1)).toHaveLength(0);
  });

  it('keeps a preview closed with its pull request against late synchronize and labeled deliveries, until reopened', async () => {
    const serviceId = await newService();
    const pull = openPull();
    await deliver(pull, 'opened').expect(200);
    // A push GitHub sent before the close, delivered after it (same second, or later: no matter).
    const late = t.github.app.pulls.payload({ ...pull, headSha: randomSha() }, 'synchronize');
    pull.state = 'closed';
    await deliver(pull, 'closed').expect(200);
    expect((await previews(serviceId))[0]).toMatchObject({ state: 'closed' });
    await post(t, t.github.app.deliver(app, 'pull_request', late)).expect(200);
    await deliver(pull, 'labeled', { sender: 'alice', label: 'dangus-preview' }).expect(200);
    // Later timestamps too: a closed pull request is labeled, or a push reaches its branch.
    const labeled = t.github.app.pulls.payload(pull, 'labeled', { sender: 'alice', label: 'dangus-preview' });
    (labeled.pull_request as { updated_at: string }).updated_at = new Date(Date.now() + 60_000).toISOString();
    await post(t, t.github.app.deliver(app, 'pull_request', labeled)).expect(200);
    expect((await previews(serviceId))[0]).toMatchObject({ state: 'closed', closedAt: expect.any(String) });
    expect(await previewIntents()).toEqual([`pr #1 build ${pull.headSha.slice(0, 7)}`, 'pr #1 closed: tear down']);
    // The reconcile sees it closed on GitHub: nothing either.
    expect(await reconcilePreviews(t.ctx, new Date())).toMatchObject({ opened: 0, closed: 0 });

    // Reopened (its webhook missed): the reconcile sees the pull request open and opens the preview again.
    pull.state = 'open';
    expect(await reconcilePreviews(t.ctx, new Date())).toMatchObject({ opened: 1 });
    expect((await previews(serviceId))[0]).toMatchObject({ state: 'pending', closedAt: null, headSha: pull.headSha });
    // Closed again, then `reopened` by webhook: it opens again.
    pull.state = 'closed';
    await deliver(pull, 'closed').expect(200);
    pull.state = 'open';
    await deliver(pull, 'reopened').expect(200);
    expect((await previews(serviceId))[0]).toMatchObject({ state: 'pending', closedAt: null });
    // A preview torn down from the UI opens again on a new push, as before.
    await api('post', `/services/${serviceId}/previews/1/teardown`).expect(200);
    pull.headSha = randomSha();
    await deliver(pull, 'synchronize').expect(200);
    expect((await previews(serviceId))[0]).toMatchObject({ state: 'pending', headSha: pull.headSha });
  });
});
