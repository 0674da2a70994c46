import request from 'supertest';
import { connect, post } from './support/github-app-flow.js';
import type { FakeApp, FakeRepository } from './support/fake-github-app.js';
import type { FakePull } from './support/fake-github-pulls.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { randomSha } from './support/webhook-payloads.js';
import { previewSeed } from '../src/pipeline/preview-seed.js';

/*
 * Seeding a preview's own env from named keys of the service (issue 35): the setting
 * (`previews.seedKeys`), its validation field by field, the keys reported as missing, and
 * which values a build's env Secret gets: the seeded keys only, and none for a fork's head a
 * maintainer did not approve. Real PostgreSQL and the real process; GitHub is the fake. The
 * Secret on a real control plane: e2e/pipeline/previews.test.ts.
 */
describe('a preview env seeded from named keys of the service', () => {
  let t: TestPlatform;
  let user: string;
  let app: FakeApp;
  let repo: FakeRepository;
  const full = () => `${repo.owner}/${repo.name}`;

  beforeAll(async () => {
    t = await startTestPlatform({ ADMIN_GITHUB_USERS: 'root' });
    const admin = await t.signIn('root', 1);
    app = await connect(t, admin);
    user = await t.signIn('octocat', 4242);
    repo = t.github.app.addRepository('octocat/seeded');
    await post(t, t.github.app.install(app, { login: 'octocat', id: 4242, type: 'User' }, [repo]).delivery).expect(200);
    t.github.app.pulls.setPermission(full(), 'octocat', 'admin');
    t.github.app.pulls.setPermission(full(), 'alice', 'write');
  }, 90_000);
  afterAll(async () => {
    await t.close();
  });

  const api = (method: 'get' | 'post' | 'patch', path: string, cookie = user) => request(t.app)[method](`/api${path}`).set('Cookie', cookie).set('Origin', ORIGIN);
  let serial = 0;
  async function newService(): Promise<string> {
    serial += 1;
    const project = (await api('post', '/projects').send({ name: `seed${String(serial)}` }).expect(201)).body.id as string;
    const id = (await api('post', `/projects/${project}/services`).send({ name: 'web', repoUrl: `https://github.com/${full()}`, port: 8080 }).expect(201)).body.id as string;
    apiBaseId = (await api('post', `/services/${id}/env`).send({ key: 'API_BASE', value: 'https://staging.example.test' }).expect(201)).body.id as string;
    await api('post', `/services/${id}/env`).send({ key: 'PROD_SECRET', value: 'service-only-value-77' }).expect(201);
    return id;
  }
  let apiBaseId = '';
  const deliver = (pull: FakePull, action: string, extra: { sender?: string; label?: string } = {}) =>
    post(t, t.github.app.deliver(app, 'pull_request', t.github.app.pulls.payload(pull, action, extra)));
  const previewRow = async (serviceId: string, number: number) =>
    (await t.db.query<{ id: string; headSha: string }[]>(`SELECT id, head_sha AS "headSha" FROM previews WHERE service_id = $1 AND pr_number = $2`, [serviceId, number]))[0];

  it('stores the key names, reports the ones the service lacks, and refuses bad input naming the field', async () => {
    const id = await newService();
    const set = await api('patch', `/services/${id}`).send({ previews: { enabled: true, seedKeys: ['API_BASE', 'NOT_THERE'] } }).expect(200);
    expect(set.body.previews).toEqual({ enabled: true, max: 3, ttlDays: 7, seedKeys: ['API_BASE', 'NOT_THERE'], missingSeedKeys: ['NOT_THERE'] });
    // Names only: no value of the service in the answer.
    expect(JSON.stringify(set.body)).not.toContain('staging.example.test');
    const tooMany = Array.from({ length: 21 }, (_, i) => `K${String(i)}`);
    for (const seedKeys of [['1BAD'], 'API_BASE', [''], ['API_BASE', 'API_BASE'], tooMany, [42], null]) {
      const refused = await api('patch', `/services/${id}`).send({ previews: { seedKeys } }).expect(400);
      expect(Object.keys(refused.body.error.fields as object).some((field) => field.startsWith('previews.seedKeys'))).toBe(true);
    }
    // Nothing of the refused bodies was stored; 20 keys are fine; another user's service is 404.
    expect((await api('get', `/services/${id}`).expect(200)).body.previews.seedKeys).toEqual(['API_BASE', 'NOT_THERE']);
    await api('patch', `/services/${id}`).send({ previews: { seedKeys: tooMany.slice(0, 20) } }).expect(200);
    const other = await t.signIn('mallory', 666);
    await api('patch', `/services/${id}`, other).send({ previews: { seedKeys: ['API_BASE'] } }).expect(404);
  });

  it("gives a same-repository build the seeded values only, and a fork's build none until a maintainer approves that head", async () => {
    const id = await newService();
    await api('patch', `/services/${id}`).send({ previews: { enabled: true, seedKeys: ['API_BASE', 'NOT_THERE'] } }).expect(200);

    const own = t.github.app.pulls.open({ id: repo.id, fullName: full() }, { author: 'alice', headSha: randomSha() });
    await deliver(own, 'opened').expect(200);
    const ownRow = await previewRow(id, own.number);
    expect(await previewSeed(t.db, t.encryptor, ownRow!.id, own.headSha)).toEqual({
      env: [{ key: 'API_BASE', value: 'https://staging.example.test' }],
      missing: ['NOT_THERE'],
    });
    // The current value at the build: a change of the service's value reaches the next build.
    await api('patch', `/services/${id}/env/${apiBaseId}`).send({ key: 'API_BASE', value: 'https://v2.example.test' }).expect(200);
    expect((await previewSeed(t.db, t.encryptor, ownRow!.id, own.headSha)).env).toEqual([{ key: 'API_BASE', value: 'https://v2.example.test' }]);

    const fork = t.github.app.pulls.open(
      { id: repo.id, fullName: full() },
      { author: 'mallory', headSha: randomSha(), fork: { id: repo.id + 100_000, fullName: 'mallory/seeded' } },
    );
    await deliver(fork, 'opened').expect(200);
    const forkRow = await previewRow(id, fork.number);
    expect(await previewSeed(t.db, t.encryptor, forkRow!.id, fork.headSha)).toEqual({ env: [], missing: [] });
    // A maintainer's label approves this head: its build gets the seeded values.
    await deliver(fork, 'labeled', { sender: 'alice', label: 'dangus-preview' }).expect(200);
    expect((await previewSeed(t.db, t.encryptor, forkRow!.id, fork.headSha)).env).toEqual([{ key: 'API_BASE', value: 'https://v2.example.test' }]);
    // Its next push is not approved: none again.
    fork.headSha = randomSha();
    await deliver(fork, 'synchronize').expect(200);
    expect(await previewSeed(t.db, t.encryptor, forkRow!.id, fork.headSha)).toEqual({ env: [], missing: [] });
  });
});
