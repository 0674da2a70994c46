import request from 'supertest';
import { DeploymentEntity, EnvVarEntity, ProjectEntity, ServiceEntity } from '../src/db/entities/index.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { deliveryHeaders, pushPayload } from './support/webhook-payloads.js';

/**
 * Every route, walked by a second user with the first user's ids: each answers
 * 404 (never 403, which would confirm the id exists) and changes nothing.
 */
describe('two users: another user\'s resources do not exist', () => {
  let t: TestPlatform;
  let alice: string;
  let bob: string;
  const ids = { project: '', service: '', env: '', deployment: '' };

  beforeAll(async () => {
    t = await startTestPlatform();
    alice = await t.signIn('alice', 1001);
    bob = await t.signIn('bob', 1002);
    const as = (method: 'post', path: string, body: object) =>
      request(t.app)[method](`/api${path}`).set('Cookie', alice).set('Origin', ORIGIN).send(body);
    ids.project = (await as('post', '/projects', { name: 'secret' }).expect(201)).body.id as string;
    const service = await as('post', `/projects/${ids.project}/services`, { name: 'vault', repoUrl: 'https://github.com/alice/vault', port: 80 }).expect(201);
    ids.service = service.body.id as string;
    ids.env = (await as('post', `/services/${ids.service}/env`, { key: 'TOKEN', value: 's3cret' }).expect(201)).body.id as string;
    // A push (recorded without a cluster; "Deploy now" needs one).
    const body = JSON.stringify(pushPayload({ repo: 'alice/vault', ref: 'refs/heads/main' }));
    const pushed = await request(t.app).post(`/webhooks/github/${ids.service}`).set(deliveryHeaders(service.body.webhookSecret as string, body, 'push')).send(body).expect(202);
    ids.deployment = pushed.body.deploymentId as string;
  });
  afterAll(async () => {
    await t.close();
  });

  const routes: [string, string, (i: typeof ids) => string, object?][] = [
    ['GET', 'project', (i) => `/projects/${i.project}`],
    ['DELETE', 'project', (i) => `/projects/${i.project}`],
    ['POST', 'service in project', (i) => `/projects/${i.project}/services`, { name: 'intruder', repoUrl: 'https://github.com/b/b', port: 80 }],
    ['GET', 'service', (i) => `/services/${i.service}`],
    ['PATCH', 'service', (i) => `/services/${i.service}`, { port: 81 }],
    ['DELETE', 'service', (i) => `/services/${i.service}`],
    ['POST', 'deploy', (i) => `/services/${i.service}/deploy`, {}],
    ['GET', 'env list', (i) => `/services/${i.service}/env`],
    ['POST', 'env create', (i) => `/services/${i.service}/env`, { key: 'X', value: 'y' }],
    ['PATCH', 'env var', (i) => `/services/${i.service}/env/${i.env}`, { value: 'stolen' }],
    ['DELETE', 'env var', (i) => `/services/${i.service}/env/${i.env}`],
    ['POST', 'env import preview', (i) => `/services/${i.service}/env/import/preview`, { dotenv: 'TOKEN=stolen' }],
    ['POST', 'env import', (i) => `/services/${i.service}/env/import`, { dotenv: 'TOKEN=stolen\nMORE=1' }],
    ['POST', 'env value reveal', (i) => `/services/${i.service}/env/${i.env}/reveal`, {}],
    ['GET', 'activity', (i) => `/services/${i.service}/activity`],
    ['GET', 'deployment list', (i) => `/services/${i.service}/deployments`],
    ['GET', 'deployment', (i) => `/deployments/${i.deployment}`],
    ['GET', 'build log stream', (i) => `/deployments/${i.deployment}/logs/stream`],
    ['GET', 'webhook deliveries', (i) => `/services/${i.service}/webhook-deliveries`],
    ['POST', 'webhook redelivery', (i) => `/services/${i.service}/webhook-deliveries/${i.deployment}/redeliver`, {}],
  ];

  // Every row has four cells, so jest never mistakes the body for `done`.
  const rows = routes.map(([method, what, path, body]) => [method, what, path, body ?? null] as const);

  it.each(rows)('%s %s of another user is 404 and changes nothing', async (method, _what, path, body) => {
    const req = request(t.app)[method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete'](`/api${path(ids)}`)
      .set('Cookie', bob)
      .set('Origin', ORIGIN);
    const res = await (body !== null ? req.send(body) : req);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect(await t.db.getRepository(ProjectEntity).countBy({ id: ids.project })).toBe(1);
    const service = await t.db.getRepository(ServiceEntity).findOneByOrFail({ id: ids.service });
    expect(service.port).toBe(80);
    expect(await t.db.getRepository(ServiceEntity).count()).toBe(1);
    expect(await t.db.getRepository(EnvVarEntity).countBy({ serviceId: ids.service })).toBe(1);
    expect(await t.db.getRepository(DeploymentEntity).count()).toBe(1);
    expect(await t.db.query(`SELECT * FROM service_activity`)).toEqual([]);
  });

  // (The owner's log stream of a pending build stays open: streams.test.ts reads it.)
  it.each(routes.filter(([method, what]) => method === 'GET' && what !== 'build log stream'))(
    '%s %s of the owner answers 200 (the ids in the table are real)',
    async (_method, _what, path) => {
      await request(t.app).get(`/api${path(ids)}`).set('Cookie', alice).expect(200);
    },
  );

  it('bob\'s own lists are empty', async () => {
    const res = await request(t.app).get('/api/projects').set('Cookie', bob).expect(200);
    expect(res.body).toEqual([]);
  });
});
