import request from 'supertest';
import { connect, post } from './support/github-app-flow.js';
import type { FakeApp, FakeRepository } from './support/fake-github-app.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { randomSha } from './support/webhook-payloads.js';

/*
 * Pushes on the GitHub App's one webhook (issue 29): routed to every service of the pushed
 * repository and branch by GitHub's repository id, recorded per service, redelivered
 * through GitHub's API. Real PostgreSQL; GitHub is the fake, which signs its deliveries.
 */

interface DeliveryDto {
  id: string;
  deliveryId: string;
  outcome: string;
  reason: string | null;
  deploymentId: string | null;
  viaApp: boolean;
}

describe('pushes through the GitHub App', () => {
  let t: TestPlatform;
  let admin: string;
  let user: string;
  let app: FakeApp;
  let serial = 0;

  beforeEach(async () => {
    t = await startTestPlatform({ ADMIN_GITHUB_USERS: 'root' });
    admin = await t.signIn('root', 1);
    app = await connect(t, admin);
    user = await t.signIn('octocat', 4242);
  });
  afterEach(async () => {
    await t.close();
  });

  async function newService(repo: string, options: { branch?: string; cookie?: string; watchPaths?: string[] } = {}): Promise<string> {
    serial += 1;
    const cookie = options.cookie ?? user;
    const api = (path: string, body: object) => request(t.app).post(`/api${path}`).set('Cookie', cookie).set('Origin', ORIGIN).send(body);
    const project = (await api('/projects', { name: `app${String(serial)}` }).expect(201)).body.id as string;
    const created = await api(`/projects/${project}/services`, {
      name: `web${String(serial)}`,
      repoUrl: `https://github.com/${repo}`,
      port: 8080,
      ...(options.branch ? { branch: options.branch } : {}),
      ...(options.watchPaths ? { watchPaths: options.watchPaths } : {}),
    }).expect(201);
    return created.body.id as string;
  }

  const deliveries = async (serviceId: string, cookie = user) =>
    (await request(t.app).get(`/api/services/${serviceId}/webhook-deliveries`).set('Cookie', cookie).expect(200)).body as DeliveryDto[];
  const builds = (serviceId: string) =>
    t.db.query<{ commit_sha: string; trigger: string }[]>(`SELECT commit_sha, trigger FROM deployments WHERE service_id = $1 ORDER BY created_at`, [serviceId]);
  const appDeliveries = (deliveryId: string) =>
    t.db.query<{ outcome: string; reason: string }[]>(`SELECT outcome, reason FROM github_app_deliveries WHERE delivery_id = $1`, [deliveryId]);

  async function installed(fullName: string, options: { private?: boolean } = {}): Promise<FakeRepository> {
    const repo = t.github.app.addRepository(fullName, options);
    await post(t, t.github.app.install(app, { login: fullName.split('/')[0] ?? '', id: 4242, type: 'User' }, [repo]).delivery).expect(200);
    return repo;
  }

  it('builds every service of the pushed repository and branch, records each, and keeps routing after a rename', async () => {
    const repo = await installed('octocat/shop');
    const web = await newService('octocat/shop');
    const worker = await newService('octocat/shop');
    const staging = await newService('octocat/shop', { branch: 'staging' });
    // Stored at creation: the installation already holds the repository.
    const ids = await t.db.query<{ id: string }[]>(`SELECT github_repository_id::text AS id FROM services WHERE id = ANY($1) ORDER BY id`, [[web, worker, staging]]);
    expect(ids.map((r) => r.id)).toEqual([String(repo.id), String(repo.id), String(repo.id)]);
    // The service says its pushes come through the App: nothing to paste.
    const shown = await request(t.app).get(`/api/services/${web}`).set('Cookie', user).expect(200);
    expect(shown.body).toMatchObject({ pushesViaApp: true });

    const sha = randomSha();
    const pushed = t.github.app.push(app, repo, { ref: 'refs/heads/main', after: sha });
    await post(t, pushed).expect(200);
    for (const service of [web, worker]) {
      expect(await builds(service)).toEqual([{ commit_sha: sha, trigger: 'push' }]);
      const [delivery] = await deliveries(service);
      expect(delivery).toMatchObject({ deliveryId: pushed.id, outcome: 'deployed', viaApp: true });
      expect(delivery?.deploymentId).toBeTruthy();
    }
    // Another branch's service is not concerned: no build, nothing recorded on it.
    expect(await builds(staging)).toEqual([]);
    expect(await deliveries(staging)).toEqual([]);
    expect((await appDeliveries(pushed.id))[0]).toMatchObject({ outcome: 'applied', reason: expect.stringContaining('routed to 2 services') });

    // The same delivery again (GitHub's redelivery keeps its GUID): answered once, nothing built twice.
    await post(t, pushed).expect(200);
    expect(await builds(web)).toHaveLength(1);
    // A replayed older push is stale for each service (pushed_at order, as on the per-service endpoint).
    await post(t, t.github.app.push(app, repo, { ref: 'refs/heads/main', pushedAt: Math.floor(Date.now() / 1000) - 3600 })).expect(200);
    expect(await builds(worker)).toHaveLength(1);
    expect((await deliveries(worker))[0]).toMatchObject({ outcome: 'ignored', reason: expect.stringContaining('stale push') });

    // Renamed (and transferred) on GitHub: the id is the same, so the push still builds both.
    t.github.app.renameRepository(repo.id, 'acme/storefront');
    const after = randomSha();
    await post(t, t.github.app.push(app, repo, { ref: 'refs/heads/main', after, pushedAt: Math.floor(Date.now() / 1000) + 5 })).expect(200);
    for (const service of [web, worker]) expect((await builds(service)).map((b) => b.commit_sha)).toEqual([sha, after]);
  });

  it('applies each service\'s watch paths to the push it routes: one builds, the other records the skip', async () => {
    const repo = await installed('octocat/mono');
    const api = await newService('octocat/mono', { watchPaths: ['api/**'] });
    const web = await newService('octocat/mono', { watchPaths: ['web/**'] });
    // A push to an existing branch whose commits (all listed) changed web/ only.
    const payload = JSON.parse(t.github.app.push(app, repo, { ref: 'refs/heads/main' }).body) as Record<string, unknown>;
    Object.assign(payload, { created: false, forced: false, before: randomSha(), commits: [{ id: payload.after, added: [], removed: [], modified: ['web/index.html'] }] });
    const pushed = t.github.app.deliver(app, 'push', payload);
    await post(t, pushed).expect(200);
    expect(await builds(web)).toHaveLength(1);
    expect(await builds(api)).toEqual([]);
    expect((await deliveries(api))[0]).toMatchObject({ deliveryId: pushed.id, outcome: 'skipped', reason: expect.stringContaining('no changed file matches `api/**`') });
    expect((await deliveries(web))[0]).toMatchObject({ outcome: 'deployed', reason: expect.stringContaining('web/index.html matches `web/**`') });
  });

  it('binds a service made before the App knew its public repository at its first push; a private one only after Check access', async () => {
    const early = await newService('octocat/early');
    expect((await request(t.app).get(`/api/services/${early}`).set('Cookie', user).expect(200)).body).toMatchObject({ pushesViaApp: false });
    expect((await t.db.query<{ id: string | null }[]>(`SELECT github_repository_id AS id FROM services WHERE id = $1`, [early]))[0]?.id).toBeNull();
    // Public: anyone reads it, so its push is routed by name and binds the service.
    const repo = await installed('octocat/early', { private: false });
    await post(t, t.github.app.push(app, repo, { ref: 'refs/heads/main' })).expect(200);
    expect(await builds(early)).toHaveLength(1);
    expect((await t.db.query<{ id: string }[]>(`SELECT github_repository_id::text AS id FROM services WHERE id = $1`, [early]))[0]?.id).toBe(String(repo.id));

    // Private: its push never binds by name, however the URL matches; Check access (the owner's token) does.
    const hidden = await newService('octocat/hidden');
    const secret = await installed('octocat/hidden');
    const ignored = t.github.app.push(app, secret, { ref: 'refs/heads/main' });
    await post(t, ignored).expect(202, { outcome: 'ignored', reason: 'no service builds octocat/hidden' });
    expect(await builds(hidden)).toEqual([]);
    expect(await deliveries(hidden)).toEqual([]);
    const checked = await request(t.app).post(`/api/services/${hidden}/repository-access`).set('Cookie', user).set('Origin', ORIGIN).expect(200);
    expect(checked.body).toMatchObject({ pushesViaApp: true, can: { deploy: { reason: expect.not.stringContaining('Check access') } } });
    await post(t, t.github.app.push(app, secret, { ref: 'refs/heads/main' })).expect(200);
    expect(await builds(hidden)).toHaveLength(1);
  });

  it('records and ignores a push of a repository no service builds, and a forged one changes nothing', async () => {
    const service = await newService('octocat/known');
    const known = await installed('octocat/known');
    const unknown = await installed('octocat/nobody');
    const nobody = t.github.app.push(app, unknown, { ref: 'refs/heads/main' });
    await post(t, nobody).expect(202, { outcome: 'ignored', reason: 'no service builds octocat/nobody' });
    expect(await appDeliveries(nobody.id)).toEqual([{ outcome: 'ignored', reason: 'no service builds octocat/nobody' }]);

    const push = t.github.app.push(app, known, { ref: 'refs/heads/main' });
    const forged = push.body.replace('"refs/heads/main"', '"refs/heads/main" ');
    await post(t, { ...push, body: forged }).expect(401);
    await post(t, { ...push, headers: { ...push.headers, 'x-hub-signature-256': `sha256=${'1'.repeat(64)}` } }).expect(401);
    expect(await builds(service)).toEqual([]);
    expect(await deliveries(service)).toEqual([]);
    expect(await appDeliveries(push.id)).toEqual([]);
  });

  it('redelivers an App delivery through GitHub\'s API, only to its owner', async () => {
    const repo = await installed('octocat/redo');
    const service = await newService('octocat/redo');
    const pushed = t.github.app.push(app, repo, { ref: 'refs/heads/main' });
    await post(t, pushed).expect(200);
    const [delivery] = await deliveries(service);
    if (!delivery) throw new Error('no delivery recorded');
    const redeliver = (cookie: string, id = delivery.id, serviceId = service) =>
      request(t.app).post(`/api/services/${serviceId}/webhook-deliveries/${id}/redeliver`).set('Cookie', cookie).set('Origin', ORIGIN);
    // Another user's service: 404, and GitHub is not asked.
    const other = await t.signIn('mallory', 666);
    await redeliver(other).expect(404);
    expect(t.github.app.redeliveries).toEqual([]);

    await redeliver(user).expect(202, { redelivered: true, deliveryId: pushed.id });
    const original = t.github.app.hookDeliveries.find((d) => d.delivery.id === pushed.id && !d.redelivery);
    expect(t.github.app.redeliveries).toEqual([original?.id]);
    // GitHub posts it again under the same GUID: answered as before, nothing built twice.
    const again = t.github.app.hookDeliveries.at(-1);
    expect(again).toMatchObject({ delivery: { id: pushed.id }, redelivery: true });
    if (again) await post(t, again.delivery).expect(200);
    expect(await builds(service)).toHaveLength(1);

    // A delivery of the per-service webhook is not the App's: GitHub's App API cannot redeliver it.
    await t.db.query(`UPDATE webhook_deliveries SET via_app = false WHERE id = $1`, [delivery.id]);
    await redeliver(user).expect(409);
  });
});
