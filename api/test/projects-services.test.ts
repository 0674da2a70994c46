import request from 'supertest';
import { EnvVarEntity, ProjectEntity, ServiceEntity } from '../src/db/entities/index.js';
import { Encryptor } from '../src/crypto/encryption.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';

const validService = { name: 'web', repoUrl: 'https://github.com/acme/web', port: 8080 };

describe('projects, services and env vars', () => {
  let t: TestPlatform;
  let cookie: string;
  const api = () => ({
    get: (path: string) => request(t.app).get(`/api${path}`).set('Cookie', cookie),
    post: (path: string, body: unknown) => request(t.app).post(`/api${path}`).set('Cookie', cookie).set('Origin', ORIGIN).send(body as object),
    patch: (path: string, body: unknown) => request(t.app).patch(`/api${path}`).set('Cookie', cookie).set('Origin', ORIGIN).send(body as object),
    delete: (path: string) => request(t.app).delete(`/api${path}`).set('Cookie', cookie).set('Origin', ORIGIN),
  });

  beforeEach(async () => {
    t = await startTestPlatform();
    cookie = await t.signIn('octocat', 4242);
  });
  afterEach(async () => {
    await t.close();
  });

  it('creates, lists, shows and deletes a project, committing the state repo each time', async () => {
    const created = await api().post('/projects', { name: 'shop' }).expect(201);
    expect(created.body).toMatchObject({ name: 'shop', serviceCount: 0, namespace: expect.stringMatching(/^[a-z0-9]{6}-shop$/) as string });
    const list = await api().get('/projects').expect(200);
    expect(list.body).toEqual([created.body]);
    await api().get(`/projects/${created.body.id as string}`).expect(200);
    await api().delete(`/projects/${created.body.id as string}`).expect(204);
    expect(await t.db.getRepository(ProjectEntity).count()).toBe(0);
    expect((await t.commitSubjects()).filter((subject) => !subject.startsWith('reconcile('))).toEqual([
      `delete(${created.body.namespace as string}): delete project shop`,
      `create(${created.body.namespace as string}): create project shop`,
    ]);
  });

  it('the project list follows every change, though it is cached between requests', async () => {
    const project = await api().post('/projects', { name: 'shop' }).expect(201);
    expect((await api().get('/projects').expect(200)).body).toEqual([expect.objectContaining({ serviceCount: 0 })]);
    expect((await api().get('/projects').expect(200)).body).toEqual([expect.objectContaining({ serviceCount: 0 })]);
    const svc = await api().post(`/projects/${project.body.id as string}/services`, validService).expect(201);
    expect((await api().get('/projects').expect(200)).body).toEqual([expect.objectContaining({ serviceCount: 1 })]);
    // A change made behind the api's back (another replica, a migration) is seen too.
    await t.db.query('DELETE FROM services WHERE id = $1', [svc.body.id]);
    expect((await api().get('/projects').expect(200)).body).toEqual([expect.objectContaining({ serviceCount: 0 })]);
    await t.db.query(`INSERT INTO projects (user_id, name) SELECT user_id, 'other' FROM projects WHERE id = $1`, [project.body.id]);
    const names = ((await api().get('/projects').expect(200)).body as { name: string }[]).map((p) => p.name);
    expect(names).toEqual(['other', 'shop']);
  });

  it('when a project name is taken, then 409 with the field', async () => {
    await api().post('/projects', { name: 'shop' }).expect(201);
    const res = await api().post('/projects', { name: 'shop' }).expect(409);
    expect(res.body.error.fields).toEqual({ name: ['Already taken.'] });
  });

  it('creates a service with defaults, a webhook URL and an encrypted webhook secret', async () => {
    const project = await api().post('/projects', { name: 'shop' }).expect(201);
    const res = await api().post(`/projects/${project.body.id as string}/services`, validService).expect(201);
    expect(res.body).toMatchObject({
      name: 'web',
      branch: 'main',
      dockerfilePath: 'Dockerfile',
      storageGb: null,
      healthCheckPath: null,
      internalAddress: 'http://web:8080',
      webhookUrl: `${ORIGIN}/webhooks/github/${res.body.id as string}`,
      webhookSecret: expect.stringMatching(/^[0-9a-f]{64}$/) as string,
    });
    const row = await t.db.getRepository(ServiceEntity).findOneByOrFail({ id: res.body.id as string });
    expect(row.webhookSecret).not.toContain(res.body.webhookSecret as string);
    expect(new Encryptor('k1', t.encryptionKey).decrypt(row.webhookSecret)).toBe(res.body.webhookSecret);
    const detail = await api().get(`/projects/${project.body.id as string}`).expect(200);
    expect(detail.body.services).toEqual([
      expect.objectContaining({ name: 'web', internalAddress: 'http://web:8080', status: null, lastDeployment: null }),
    ]);
  });

  it('when two projects each have a service web, then both exist, each at a host of its own', async () => {
    const staging = await api().post('/projects', { name: 'staging' }).expect(201);
    const prod = await api().post('/projects', { name: 'prod' }).expect(201);
    const a = await api().post(`/projects/${staging.body.id as string}/services`, validService).expect(201);
    const b = await api().post(`/projects/${prod.body.id as string}/services`, validService).expect(201);
    const hash = (staging.body.namespace as string).slice(0, 6);
    expect([a.body.subdomain, b.body.subdomain]).toEqual([`${hash}-staging--web`, `${hash}-prod--web`]);
    expect([a.body.publicUrl, b.body.publicUrl]).toEqual([
      `http://${hash}-staging--web.dangus.localhost`,
      `http://${hash}-prod--web.dangus.localhost`,
    ]);
    // The host is stored on the row, and every view of the service reads it from there.
    const rows = await t.db.getRepository(ServiceEntity).find({ order: { host: 'ASC' } });
    expect(rows.map((row) => [row.name, row.host])).toEqual([['web', `${hash}-prod--web`], ['web', `${hash}-staging--web`]]);
    expect((await api().get(`/services/${a.body.id as string}`).expect(200)).body.publicUrl).toBe(a.body.publicUrl);
    expect((await api().get(`/projects/${prod.body.id as string}`).expect(200)).body.services).toEqual([
      expect.objectContaining({ name: 'web', publicUrl: b.body.publicUrl }),
    ]);
  });

  it('when a service name is used in the same project, then 409 on the name field', async () => {
    const project = await api().post('/projects', { name: 'one' }).expect(201);
    await api().post(`/projects/${project.body.id as string}/services`, validService).expect(201);
    const res = await api().post(`/projects/${project.body.id as string}/services`, validService).expect(409);
    expect(res.body.error).toEqual({
      code: expect.any(String) as string,
      message: 'Project one already has a service named "web".',
      fields: { name: ['Already used by another service of this project.'] },
    });
    expect(await t.db.getRepository(ServiceEntity).count()).toBe(1);
  });

  it('when a new host equals a stored one, then 409 and the first service keeps its address', async () => {
    // A service from before per-project hosts whose stored host is what a new one would get
    // (the unique index is the last guard: the scheme itself never makes such a pair).
    const project = await api().post('/projects', { name: 'one' }).expect(201);
    const first = await api().post(`/projects/${project.body.id as string}/services`, validService).expect(201);
    const host = first.body.subdomain as string;
    await t.db.query(`UPDATE services SET host = $2 WHERE id = $1`, [first.body.id, host.replace('--web', '--api')]);
    const res = await api().post(`/projects/${project.body.id as string}/services`, { ...validService, name: 'api' }).expect(409);
    expect(res.body.error.fields).toEqual({ name: ['Its address is already used by another of your services.'] });
    expect((await api().get(`/services/${first.body.id as string}`).expect(200)).body.subdomain).toBe(host.replace('--web', '--api'));
    expect(await t.db.getRepository(ServiceEntity).count()).toBe(1);
  });

  it('updates a service in place, and refuses to rename it', async () => {
    const project = await api().post('/projects', { name: 'shop' }).expect(201);
    const svc = await api().post(`/projects/${project.body.id as string}/services`, validService).expect(201);
    const res = await api()
      .patch(`/services/${svc.body.id as string}`, { branch: 'release/v2', storageGb: 5, healthCheckPath: '/healthz' })
      .expect(200);
    expect(res.body).toMatchObject({ branch: 'release/v2', storageGb: 5, healthCheckPath: '/healthz', port: 8080 });
    await api().patch(`/services/${svc.body.id as string}`, { storageGb: null }).expect(200);
    expect((await t.db.getRepository(ServiceEntity).findOneByOrFail({ id: svc.body.id as string })).storageGb).toBeNull();
    const rename = await api().patch(`/services/${svc.body.id as string}`, { name: 'other' }).expect(400);
    expect(rename.body.error.fields).toEqual({ name: ['Unknown field.'] });
    await api().patch(`/services/${svc.body.id as string}`, {}).expect(400);
  });

  it('keeps env values encrypted, masked in lists, and commits only that a key changed', async () => {
    const project = await api().post('/projects', { name: 'shop' }).expect(201);
    const svc = await api().post(`/projects/${project.body.id as string}/services`, validService).expect(201);
    const path = `/services/${svc.body.id as string}/env`;
    const created = await api().post(path, { key: 'DATABASE_URL', value: 'postgres://u:hunter2@db/x' }).expect(201);
    expect(created.body.value).not.toContain('hunter2');
    const row = await t.db.getRepository(EnvVarEntity).findOneByOrFail({ id: created.body.id as string });
    expect(row.value).not.toContain('hunter2');
    expect(new Encryptor('k1', t.encryptionKey).decrypt(row.value)).toBe('postgres://u:hunter2@db/x');
    const list = await api().get(path).expect(200);
    expect(JSON.stringify(list.body)).not.toContain('hunter2');
    await api().post(path, { key: 'DATABASE_URL', value: 'again' }).expect(409);
    await api().patch(`${path}/${created.body.id as string}`, { value: 'rotated' }).expect(200);
    const rotated = await t.db.getRepository(EnvVarEntity).findOneByOrFail({ id: created.body.id as string });
    expect(new Encryptor('k1', t.encryptionKey).decrypt(rotated.value)).toBe('rotated');
    await api().delete(`${path}/${created.body.id as string}`).expect(204);
    expect(await t.db.getRepository(EnvVarEntity).count()).toBe(0);
    // Each change is an intent the controller committed (nothing was built: the render of a
    // service without an image does not change with its env values), and no value is recorded.
    const intents = await t.intents();
    const envChanges = intents.filter((c) => c.verb === 'env');
    expect(envChanges.map((c) => [c.summary, c.done])).toEqual([['set DATABASE_URL', true], ['update DATABASE_URL', true], ['unset DATABASE_URL', true]]);
    expect(JSON.stringify(intents)).not.toMatch(/hunter2|rotated/);
  });

  it('without a cluster, "Deploy now" is refused with the reason the service shows, and records nothing', async () => {
    t.github.branches.set('acme/web#main', { sha: 'a'.repeat(40), message: 'Add x' });
    const project = await api().post('/projects', { name: 'shop' }).expect(201);
    const svc = await api().post(`/projects/${project.body.id as string}/services`, validService).expect(201);
    const shown = await api().get(`/services/${svc.body.id as string}`).expect(200);
    expect(shown.body.can.deploy).toEqual({ ok: false, reason: expect.stringMatching(/^No Kubernetes cluster is connected .*KUBECONFIG/) });
    const res = await api().post(`/services/${svc.body.id as string}/deploy`, {}).expect(503);
    expect(res.body.error).toEqual({ code: 'no_cluster', message: shown.body.can.deploy.reason });
    const history = await api().get(`/services/${svc.body.id as string}/deployments`).expect(200);
    expect(history.body).toEqual([]);
  });
});
