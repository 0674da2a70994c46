import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import { connect, post } from './support/github-app-flow.js';
import type { FakeApp, FakeRepository } from './support/fake-github-app.js';
import type { FakePull } from './support/fake-github-pulls.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { randomSha } from './support/webhook-payloads.js';
import { reconcilePreviews } from '../src/use-cases/preview-reconcile.js';

/*
 * Previews of pull requests (issue 35) through the GitHub App's webhook and the per-service
 * one: settings, triggers, forks and approvals, the cap, the one comment. Real PostgreSQL and
 * the real process (outbox, leader); GitHub is the fake, in GitHub's shapes.
 */

interface PreviewDto {
  number: number;
  state: string;
  reason: string | null;
  headSha: string;
  fork: boolean;
  needsApproval: boolean;
  approvedBy: string | null;
  url: string;
  expiresAt: string | null;
  closedAt: string | null;
}

describe('previews of pull requests', () => {
  let t: TestPlatform;
  let user: string;
  let app: FakeApp;
  let repo: FakeRepository;
  let serial = 0;
  const full = () => `${repo.owner}/${repo.name}`;

  beforeEach(async () => {
    t = await startTestPlatform({ ADMIN_GITHUB_USERS: 'root' });
    const admin = await t.signIn('root', 1);
    app = await connect(t, admin);
    user = await t.signIn('octocat', 4242);
    serial += 1;
    repo = t.github.app.addRepository(`octocat/shop${String(serial)}`);
    await post(t, t.github.app.install(app, { login: 'octocat', id: 4242, type: 'User' }, [repo]).delivery).expect(200);
    t.github.app.pulls.setPermission(full(), 'octocat', 'admin');
    t.github.app.pulls.setPermission(full(), 'alice', 'write');
    // Starting the platform on a loaded machine can take longer than the default.
  }, 90_000);
  afterEach(async () => {
    await t.close();
  });

  const api = (method: 'get' | 'post' | 'patch', path: string, cookie = user) => request(t.app)[method](`/api${path}`).set('Cookie', cookie).set('Origin', ORIGIN);

  async function newService(previews: object | null = { enabled: true }): Promise<{ id: string; name: string }> {
    const project = (await api('post', '/projects').send({ name: `app${String(serial)}` }).expect(201)).body.id as string;
    const created = await api('post', `/projects/${project}/services`).send({ name: 'web', repoUrl: `https://github.com/${full()}`, port: 8080 }).expect(201);
    const id = created.body.id as string;
    if (previews) await api('patch', `/services/${id}`).send({ previews }).expect(200);
    return { id, name: 'web' };
  }

  const previews = async (serviceId: string) => (await api('get', `/services/${serviceId}/previews`).expect(200)).body as PreviewDto[];
  const deliver = (pull: FakePull, action: string, extra: { sender?: string; label?: string } = {}) =>
    post(t, t.github.app.deliver(app, 'pull_request', t.github.app.pulls.payload(pull, action, extra)));
  const openPull = (options: { author?: string; baseRef?: string; fork?: boolean } = {}) =>
    t.github.app.pulls.open(
      { id: repo.id, fullName: full() },
      {
        author: options.author ?? 'alice',
        headSha: randomSha(),
        ...(options.baseRef ? { baseRef: options.baseRef } : {}),
        ...(options.fork ? { fork: { id: repo.id + 100_000, fullName: `mallory/shop${String(serial)}` } } : {}),
      },
    );
  /** The files of the state repo's head under `tenants/`. */
  const tree = async () =>
    (await promisify(execFile)('git', ['ls-tree', '-r', '--name-only', 'HEAD', 'tenants/'], { cwd: t.stateRepoDir })).stdout.split('\n').filter(Boolean);
  const previewIntents = async () => (await t.intents()).filter((i) => i.verb === 'preview').map((i) => i.summary);
  const deliveries = async (serviceId: string) =>
    (await api('get', `/services/${serviceId}/webhook-deliveries`).expect(200)).body as { event: string; outcome: string; reason: string }[];

  it('sets previews on a service, with defaults, and refuses bad settings field by field', async () => {
    const service = await newService(null);
    expect((await api('get', `/services/${service.id}`).expect(200)).body.previews).toEqual({ enabled: false, max: 3, ttlDays: 7, seedKeys: [], missingSeedKeys: [] });
    const changed = await api('patch', `/services/${service.id}`).send({ previews: { enabled: true, max: 5 } }).expect(200);
    expect(changed.body.previews).toEqual({ enabled: true, max: 5, ttlDays: 7, seedKeys: [], missingSeedKeys: [] });
    for (const [body, field] of [
      [{ previews: { max: 0 } }, 'previews.max'],
      [{ previews: { max: 11 } }, 'previews.max'],
      [{ previews: { ttlDays: 'x' } }, 'previews.ttlDays'],
      [{ previews: { ttlDays: 1.5 } }, 'previews.ttlDays'],
      [{ previews: { enabled: 'yes' } }, 'previews.enabled'],
    ] as const) {
      const refused = await api('patch', `/services/${service.id}`).send(body).expect(400);
      expect(Object.keys(refused.body.error.fields as object)).toContain(field);
    }
    await api('patch', `/services/${service.id}`).send({ previews: { enabled: true, extra: 1 } }).expect(400);
    // Nothing of the refused bodies was stored.
    expect((await api('get', `/services/${service.id}`).expect(200)).body.previews).toEqual({ enabled: true, max: 5, ttlDays: 7, seedKeys: [], missingSeedKeys: [] });
    // Another user's service: 404, for the settings and the list.
    const other = await t.signIn('mallory', 666);
    await api('patch', `/services/${service.id}`, other).send({ previews: { enabled: false } }).expect(404);
    await api('get', `/services/${service.id}/previews`, other).expect(404);
  });

  it('builds a same-repository pull request of a writer, follows its pushes, tears it down when closed, with one comment edited in place', async () => {
    const service = await newService();
    const pull = openPull();
    const first = pull.headSha;
    await deliver(pull, 'opened').expect(200);
    let [preview] = await previews(service.id);
    expect(preview).toMatchObject({ number: 1, state: 'pending', headSha: pull.headSha, fork: false, needsApproval: false, closedAt: null });
    expect(preview?.url).toMatch(/^http:\/\/web-pr1-[a-z0-9]{10}\.[^/]+$/);
    expect(await previewIntents()).toEqual([`pr #1 build ${pull.headSha.slice(0, 7)}`]);
    // One commit naming the pull request puts its own Service, Ingress and build Job in the tenant's tree.
    const namespace = (await t.intents()).find((i) => i.verb === 'preview')?.namespace ?? '';
    expect((await t.commitSubjects())[0]).toBe(`preview(${namespace}/web): pr #1 build ${pull.headSha.slice(0, 7)}`);
    expect((await tree()).filter((path) => path.includes('web--pr1/'))).toEqual(
      ['build-' + pull.headSha.slice(0, 7) + '.yaml', 'ingress.yaml', 'kustomization.yaml', 'service.yaml'].map((file) => `tenants/${namespace}/web--pr1/${file}`),
    );
    const comments = () => t.github.app.pulls.commentsOn(full(), 1);
    expect(comments()).toHaveLength(1);
    expect(comments()[0]?.body).toContain(preview?.url);
    expect(comments()[0]?.body).toContain(pull.headSha.slice(0, 7));
    const [deployment] = t.github.app.reports.deployments.filter((d) => d.environment === 'preview/web/pr-1');
    expect(deployment?.statuses.map((s) => s.state)).toEqual(['in_progress']);

    // A flood of pushes: each newer head replaces the one waiting; the last one is what builds.
    const heads: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      pull.headSha = randomSha();
      heads.push(pull.headSha);
      await deliver(pull, 'synchronize').expect(200);
    }
    [preview] = await previews(service.id);
    expect(preview).toMatchObject({ state: 'pending', headSha: heads[2] });
    // Superseded in git: only the newest head's build Job is left.
    expect((await tree()).filter((path) => path.includes('web--pr1/build-'))).toEqual([`tenants/${namespace}/web--pr1/build-${(heads[2] ?? '').slice(0, 7)}.yaml`]);
    expect((await previewIntents()).slice(1)).toEqual(heads.map((sha) => `pr #1 build ${sha.slice(0, 7)}`));

    // A replayed older event is stale: nothing changes.
    const old = t.github.app.pulls.payload(pull, 'synchronize');
    (old.pull_request as { updated_at: string; head: { sha: string } }).updated_at = '2020-01-01T00:00:00Z';
    (old.pull_request as { head: { sha: string } }).head.sha = randomSha();
    await post(t, t.github.app.deliver(app, 'pull_request', old)).expect(200);
    expect((await previews(service.id))[0]?.headSha).toBe(heads[2]);
    expect((await deliveries(service.id))[0]).toMatchObject({ event: 'pull_request', outcome: 'ignored', reason: expect.stringContaining('stale') });

    pull.state = 'closed';
    await deliver(pull, 'closed').expect(200);
    [preview] = await previews(service.id);
    expect(preview).toMatchObject({ state: 'closed', reason: 'pull request #1 was closed', expiresAt: null });
    expect((await previewIntents()).at(-1)).toBe('pr #1 closed: tear down');
    // The teardown commit prunes every object of the preview.
    expect((await t.commitSubjects())[0]).toBe(`preview(${namespace}/web): pr #1 closed: tear down`);
    expect((await tree()).filter((path) => path.includes('web--pr1'))).toEqual([]);
    expect((await tree()).filter((path) => path.includes('/web/')).length).toBeGreaterThan(0);
    // One comment, edited at each change; the Deployment ends inactive.
    expect(comments()).toHaveLength(1);
    expect(comments()[0]?.bodies.length).toBeGreaterThanOrEqual(5);
    expect(comments()[0]?.body).toContain('Torn down');
    // One GitHub Deployment per commit built, each ended (inactive) by the next; the last by the teardown.
    const ghDeployments = t.github.app.reports.deployments.filter((d) => d.environment === 'preview/web/pr-1');
    expect(ghDeployments.map((d) => d.ref)).toEqual([first, ...heads]);
    expect(ghDeployments.map((d) => d.statuses.map((s) => s.state))).toEqual([...Array(4).fill(['in_progress', 'inactive'])]);

    // A closed event for a pull request without a preview: recorded, nothing done.
    const unknown = openPull();
    unknown.state = 'closed';
    const before = (await t.intents()).length;
    await deliver(unknown, 'closed').expect(200);
    expect((await deliveries(service.id))[0]).toMatchObject({ outcome: 'ignored', reason: expect.stringContaining('no open preview') });
    expect(await t.intents()).toHaveLength(before);
    expect((await previews(service.id)).map((p) => p.number)).toEqual([1]);
  });

  it("serves a preview's build log to the service's members only, whole once a newer push supersedes its build", async () => {
    const service = await newService();
    const pull = openPull();
    const first = pull.headSha;
    await deliver(pull, 'opened').expect(200);
    const log = (cookie = user) => api('get', `/services/${service.id}/previews/1/log`, cookie);
    // Before its build starts there is no log.
    expect((await log().expect(404)).body.error.message).toMatch(/not found/i);
    // What the leading controller stores while the build streams (pipeline/preview-builds.ts; on the real node: e2e/realnode/previews.test.ts).
    const [row] = await t.db.query<{ id: string }[]>(`SELECT id FROM previews WHERE service_id = $1`, [service.id]);
    await t.db.query(`INSERT INTO preview_build_logs (preview_id, head_sha, log) VALUES ($1, $2, $3)`, [row?.id, first, 'INFO Pushing image to web--pr1\n']);
    expect((await log().expect(200)).body).toEqual({ number: 1, headSha: first, from: 0, log: 'INFO Pushing image to web--pr1\n', length: 31, complete: false, startedAt: expect.any(String) });
    // A page following the log asks only for what is new (characters, a multi-byte one counting once).
    await t.db.query(`UPDATE preview_build_logs SET log = log || 'INFO done ✓\n' WHERE head_sha = $1`, [first]);
    const page = (await api('get', `/services/${service.id}/previews/1/log?from=31`).expect(200)).body as { from: number; log: string; length: number };
    expect(page).toMatchObject({ from: 31, log: 'INFO done ✓\n', length: 43 });
    expect((await api('get', `/services/${service.id}/previews/1/log?from=-1`).expect(400)).body.error.fields).toHaveProperty('from');
    // Another user learns nothing of it; a bad number is a 400 naming the field.
    await log(await t.signIn('mallory', 31337)).expect(404);
    expect((await api('get', `/services/${service.id}/previews/0/log`).expect(400)).body.error.fields).toHaveProperty('number');
    // A newer push supersedes the build: its log ends where it stopped.
    pull.headSha = randomSha();
    await deliver(pull, 'synchronize').expect(200);
    expect((await log().expect(200)).body).toMatchObject({ headSha: first, complete: true });
  });

  it('records and ignores a pull request against another branch, or with previews off, and answers a redelivery once', async () => {
    const service = await newService();
    const other = openPull({ baseRef: 'develop' });
    await deliver(other, 'opened').expect(200);
    expect((await deliveries(service.id))[0]).toMatchObject({ event: 'pull_request', outcome: 'ignored', reason: expect.stringContaining('targets branch "develop"') });
    expect(await previews(service.id)).toEqual([]);

    const pull = openPull();
    const delivery = t.github.app.deliver(app, 'pull_request', t.github.app.pulls.payload(pull, 'opened'));
    await post(t, delivery).expect(200);
    await post(t, delivery).expect(200);
    expect(await previewIntents()).toHaveLength(1);
    expect(t.github.app.pulls.commentsOn(full(), pull.number)).toHaveLength(1);

    await api('patch', `/services/${service.id}`).send({ previews: { enabled: false } }).expect(200);
    // Turning previews off closes the open ones.
    expect((await previews(service.id))[0]).toMatchObject({ state: 'closed' });
    await deliver(openPull(), 'opened').expect(200);
    expect((await deliveries(service.id))[0]).toMatchObject({ outcome: 'ignored', reason: 'previews are off for this service' });
    expect(await previews(service.id)).toHaveLength(1);
  });

  it('builds a fork only once a maintainer approves its head commit, and each new push needs approval again', async () => {
    const service = await newService();
    const pull = openPull({ author: 'mallory', fork: true });
    await deliver(pull, 'opened').expect(200);
    expect((await previews(service.id))[0]).toMatchObject({ state: 'awaiting_approval', fork: true, needsApproval: true });
    expect(await previewIntents()).toEqual([]);
    // The fork's code reaches no tree while unapproved.
    expect((await tree()).filter((path) => path.includes('web--pr1'))).toEqual([]);
    expect(t.github.app.pulls.commentsOn(full(), 1)[0]?.body).toContain('approval');

    // The label by someone without write access approves nothing.
    await deliver(pull, 'labeled', { sender: 'mallory', label: 'dangus-preview' }).expect(200);
    expect((await previews(service.id))[0]).toMatchObject({ state: 'awaiting_approval' });
    expect((await deliveries(service.id))[0]?.reason).toContain('mallory has no write access');
    // Another label does nothing either.
    await deliver(pull, 'labeled', { sender: 'alice', label: 'bug' }).expect(200);
    expect((await previews(service.id))[0]).toMatchObject({ state: 'awaiting_approval' });
    // A maintainer's label: the head commit builds.
    await deliver(pull, 'labeled', { sender: 'alice', label: 'dangus-preview' }).expect(200);
    expect((await previews(service.id))[0]).toMatchObject({ state: 'pending', approvedBy: 'alice', headSha: pull.headSha });
    expect(await previewIntents()).toEqual([`pr #1 build ${pull.headSha.slice(0, 7)}`]);

    // The fork pushes again: nothing builds until approved again, here from the UI.
    pull.headSha = randomSha();
    await deliver(pull, 'synchronize').expect(200);
    expect((await previews(service.id))[0]).toMatchObject({ state: 'awaiting_approval', headSha: pull.headSha, approvedBy: null });
    expect((await previewIntents()).at(-1)).toBe('pr #1 awaiting approval');
    const mallory = await t.signIn('mallory', 666);
    await api('post', `/services/${service.id}/previews/1/approve`, mallory).send({ headSha: pull.headSha }).expect(404);
    await api('post', `/services/${service.id}/previews/x/approve`).expect(400);
    await api('post', `/services/${service.id}/previews/99/approve`).send({ headSha: pull.headSha }).expect(404);
    const approved = await api('post', `/services/${service.id}/previews/1/approve`).send({ headSha: pull.headSha }).expect(200);
    expect(approved.body).toMatchObject({ state: 'pending', approvedBy: 'octocat', headSha: pull.headSha });
    await api('post', `/services/${service.id}/previews/1/approve`).send({ headSha: pull.headSha }).expect(409);
    expect((await previewIntents()).at(-1)).toBe(`pr #1 approved by octocat: build ${pull.headSha.slice(0, 7)}`);
  });

  it('makes a same-repository author without write access wait for an approval', async () => {
    const service = await newService();
    await deliver(openPull({ author: 'visitor' }), 'opened').expect(200);
    expect((await previews(service.id))[0]).toMatchObject({ state: 'awaiting_approval', reason: expect.stringContaining('visitor has no write access') });
    expect(await previewIntents()).toEqual([]);
  });

  it('refuses a preview over the cap with a comment saying so, and tears one down from the UI', async () => {
    const service = await newService({ enabled: true, max: 1 });
    await deliver(openPull(), 'opened').expect(200);
    const second = openPull();
    await deliver(second, 'opened').expect(200);
    expect((await previews(service.id)).map((p) => [p.number, p.state])).toEqual([[2, 'refused'], [1, 'pending']]);
    expect(t.github.app.pulls.commentsOn(full(), 2)[0]?.body).toContain('its cap of 1');
    expect(await previewIntents()).toHaveLength(1);

    await api('post', `/services/${service.id}/previews/1/teardown`).expect(200);
    await api('post', `/services/${service.id}/previews/1/teardown`).expect(409);
    expect((await previewIntents()).at(-1)).toBe('pr #1 torn down by octocat');
    // Room again: the refused pull request's next push builds.
    second.headSha = randomSha();
    await deliver(second, 'synchronize').expect(200);
    expect((await previews(service.id)).find((p) => p.number === 2)).toMatchObject({ state: 'pending' });
  });

  it('counts previews in the project quota: one that does not fit is refused with a comment, and nothing is made', async () => {
    const service = await newService({ enabled: true, max: 5 });
    // Default quota limits.cpu 4, a pod of the LimitRange default 500m: 6 replicas and a surge pod are 3.5 CPU.
    await api('patch', `/services/${service.id}`).send({ replicas: 6 }).expect(200);
    await deliver(openPull(), 'opened').expect(200);
    const before = await previewIntents();
    const files = await tree();
    await deliver(openPull(), 'opened').expect(200);
    expect((await previews(service.id)).map((p) => [p.number, p.state])).toEqual([[2, 'refused'], [1, 'pending']]);
    const refused = (await previews(service.id))[0];
    expect(refused?.reason).toMatch(/quota has no room for another preview.*limits\.cpu: 4\.5 CPU needed, 4 CPU in the quota/);
    expect(t.github.app.pulls.commentsOn(full(), 2)[0]?.body).toContain('quota has no room');
    expect(await previewIntents()).toEqual(before);
    expect(await tree()).toEqual(files);
    // The running preview counts against the service's own changes too.
    const scaled = await api('patch', `/services/${service.id}`).send({ replicas: 7 }).expect(409);
    expect(scaled.body.error.message).toMatch(/previews' pods.*limits\.cpu: 4\.5 CPU needed/);
  });

  it('takes pull requests on the per-service webhook too', async () => {
    const service = await newService();
    const secret = (await api('get', `/services/${service.id}`).expect(200)).body.webhookSecret as string;
    const pull = openPull();
    const body = JSON.stringify(t.github.app.pulls.payload(pull, 'opened'));
    const { createHmac, randomUUID } = await import('node:crypto');
    const sign = (text: string) => `sha256=${createHmac('sha256', secret).update(text).digest('hex')}`;
    await request(t.app)
      .post(`/webhooks/github/${service.id}`)
      .set({ 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': sign(body) })
      .send(body)
      .expect(202);
    expect((await previews(service.id))[0]).toMatchObject({ state: 'pending', number: 1 });
    // A payload GitHub would not send: 400, recorded, nothing built.
    const bad = JSON.stringify({ action: 'opened', number: 2, pull_request: { base: { repo: { full_name: full() } } } });
    await request(t.app)
      .post(`/webhooks/github/${service.id}`)
      .set({ 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': sign(bad) })
      .send(bad)
      .expect(400);
    expect(await previews(service.id)).toHaveLength(1);
    // A pull request of another repository on this service's hook: recorded, ignored.
    const foreign = t.github.app.pulls.payload(openPull(), 'opened');
    (foreign.pull_request as { base: { repo: { full_name: string } } }).base.repo.full_name = 'someone/else';
    const foreignBody = JSON.stringify(foreign);
    const answered = await request(t.app)
      .post(`/webhooks/github/${service.id}`)
      .set({ 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': sign(foreignBody) })
      .send(foreignBody)
      .expect(200);
    expect(answered.body.reason).toContain('"someone/else", but the service builds');
    expect(await previews(service.id)).toHaveLength(1);
  });

  it('builds nothing when the head repository was deleted, and keeps what the preview had', async () => {
    const service = await newService();
    const pull = openPull();
    const first = pull.headSha;
    await deliver(pull, 'opened').expect(200);
    pull.headRepo = null;
    pull.headSha = randomSha();
    await deliver(pull, 'synchronize').expect(200);
    expect((await deliveries(service.id))[0]).toMatchObject({ outcome: 'ignored', reason: expect.stringContaining('head repository of pull request #1 was deleted') });
    expect((await previews(service.id))[0]).toMatchObject({ state: 'pending', headSha: first });
    expect(await previewIntents()).toHaveLength(1);
  });

  it('tears a preview down when its time-to-live after the last push passes, by the clock the reconcile is given', async () => {
    const service = await newService({ enabled: true, ttlDays: 2 });
    const pull = openPull();
    await deliver(pull, 'opened').expect(200);
    const [preview] = await previews(service.id);
    const pushedAt = Date.parse(preview?.expiresAt ?? '') - 2 * 86_400_000;
    expect(await reconcilePreviews(t.ctx, new Date(pushedAt + 2 * 86_400_000 - 60_000))).toMatchObject({ expired: 0 });
    expect((await previews(service.id))[0]).toMatchObject({ state: 'pending' });
    expect(await reconcilePreviews(t.ctx, new Date(pushedAt + 2 * 86_400_000 + 1_000))).toMatchObject({ expired: 1 });
    expect((await previews(service.id))[0]).toMatchObject({ state: 'expired', reason: expect.stringContaining('no push for 2 days') });
    expect((await previewIntents()).at(-1)).toBe('pr #1 expired: tear down');
    expect(t.github.app.pulls.commentsOn(full(), 1)).toHaveLength(1);
    expect(t.github.app.pulls.commentsOn(full(), 1)[0]?.body).toContain('Expired');
  });

  it('heals a missed opened and a missed closed webhook in the reconcile, once', async () => {
    const service = await newService();
    const missedOpen = openPull();
    const closedLater = openPull();
    await deliver(closedLater, 'opened').expect(200);
    closedLater.state = 'closed';
    // Neither webhook came: the reconcile reads the open pull requests from GitHub.
    const result = await reconcilePreviews(t.ctx, new Date());
    expect(result).toMatchObject({ opened: 1, closed: 1, failedServices: 0 });
    expect((await previews(service.id)).map((p) => [p.number, p.state])).toEqual([[1, 'pending'], [2, 'closed']]);
    expect(await previewIntents()).toEqual([
      `pr #2 build ${closedLater.headSha.slice(0, 7)}`,
      `pr #1 build ${missedOpen.headSha.slice(0, 7)}`,
      'pr #2 no longer open: tear down',
    ]);
    // Nothing more to do the next time.
    expect(await reconcilePreviews(t.ctx, new Date())).toMatchObject({ opened: 0, closed: 0 });
    expect(await previewIntents()).toHaveLength(3);
  });
});
