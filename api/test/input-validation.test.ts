import request from 'supertest';
import { EnvVarEntity, ProjectEntity, ServiceEntity } from '../src/db/entities/index.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';

/** Values that have broken YAML, shells, SQL or HTML somewhere. */
const HOSTILE_STRINGS = [
  '',
  ' ',
  'a"b',
  "a'b",
  'line\nbreak',
  'tab\there',
  '{{namespace}}',
  'key: value',
  '# comment',
  '&anchor',
  '*alias',
  '!!python/object:os.system',
  '---',
  "'; DROP TABLE projects; --",
  '<script>alert(1)</script>',
  '../../etc/passwd',
  'Ünïcödé',
  '😀',
  'a\u0000b',
  'x'.repeat(10_000),
];

describe('hostile and oversized input', () => {
  let t: TestPlatform;
  let cookie: string;
  let projectId: string;
  let serviceId: string;
  const post = (path: string, body: unknown) =>
    request(t.app).post(`/api${path}`).set('Cookie', cookie).set('Origin', ORIGIN).send(body as object);

  beforeAll(async () => {
    t = await startTestPlatform();
    cookie = await t.signIn('octocat', 4242);
    projectId = (await post('/projects', { name: 'base' }).expect(201)).body.id as string;
    serviceId = (
      await post(`/projects/${projectId}/services`, { name: 'base', repoUrl: 'https://github.com/a/b', port: 80 }).expect(201)
    ).body.id as string;
  });
  afterAll(async () => {
    await t.close();
  });

  async function counts() {
    return {
      projects: await t.db.getRepository(ProjectEntity).count(),
      services: await t.db.getRepository(ServiceEntity).count(),
      env: await t.db.getRepository(EnvVarEntity).count(),
    };
  }

  describe('a JSON key __proto__ (JSON.parse makes it an own key)', () => {
    const raw = (method: 'post' | 'patch', path: string, body: string) =>
      (method === 'post' ? request(t.app).post(`/api${path}`) : request(t.app).patch(`/api${path}`))
        .set('Cookie', cookie)
        .set('Origin', ORIGIN)
        .set('Content-Type', 'application/json')
        .send(body);

    it.each([
      ['post', 'a project', (): string => '/projects', '{"name":"proto","__proto__":{"name":"x"}}'],
      ['post', 'a service', (): string => `/projects/${projectId}/services`, '{"name":"proto","repoUrl":"https://github.com/a/b","port":80,"__proto__":{"storageGb":5}}'],
      ['patch', 'a service', (): string => `/services/${serviceId}`, '{"__proto__":{"port":1}}'],
      ['post', 'an env var', () => `/services/${serviceId}/env`, '{"key":"PROTO","value":"v","__proto__":{}}'],
    ] as const)('%s of %s is refused as an unknown field, and nothing is written', async (method, _what, path, body) => {
      const before = await counts();
      const res = await raw(method, path(), body).expect(400);
      expect(Object.entries(res.body.error.fields as object)).toEqual([['__proto__', ['Unknown field.']]]);
      expect(await counts()).toEqual(before);
    });
  });

  describe.each(HOSTILE_STRINGS.map((s) => [JSON.stringify(s).slice(0, 40), s]))('the string %s', (_label, value) => {
    it('is refused as a project name with a field error, and nothing is written', async () => {
      const before = await counts();
      const res = await post('/projects', { name: value }).expect(400);
      expect(res.body.error.fields.name).toEqual(expect.arrayContaining([expect.any(String)]));
      expect(await counts()).toEqual(before);
    });

    it.each(['name', 'repoUrl', 'branch', 'dockerfilePath', 'healthCheckPath'])(
      'is refused as a service %s with a field error on that field',
      async (field) => {
        const before = await counts();
        const body = { name: 'svc', repoUrl: 'https://github.com/a/b', port: 80, [field]: value };
        const res = await post(`/projects/${projectId}/services`, body);
        // Some hostile strings are legal values of a lenient field (unicode in a
        // branch name); what must never happen is a 5xx or a silent change.
        if (res.status === 201) {
          const row = await t.db.getRepository(ServiceEntity).findOneByOrFail({ id: res.body.id as string });
          expect(row[field as keyof typeof row]).toBe(value);
          await request(t.app).delete(`/api/services/${res.body.id as string}`).set('Cookie', cookie).set('Origin', ORIGIN).expect(204);
        } else {
          expect(res.status).toBe(400);
          expect(Object.keys(res.body.error.fields as object)).toEqual([field]);
          expect(await counts()).toEqual(before);
        }
      },
    );

    it('is refused as an env key; as an env value it is stored and decrypts to itself or is refused for size', async () => {
      const key = await post(`/services/${serviceId}/env`, { key: value, value: 'v' }).expect(400);
      expect(Object.keys(key.body.error.fields as object)).toEqual(['key']);
      const res = await post(`/services/${serviceId}/env`, { key: 'HOSTILE', value });
      expect(res.status).toBe(201);
      await request(t.app).delete(`/api/services/${serviceId}/env/${res.body.id as string}`).set('Cookie', cookie).set('Origin', ORIGIN).expect(204);
    });
  });

  it.each([
    ['port', 0],
    ['port', 65536],
    ['port', 80.5],
    ['port', '80'],
    ['port', -1],
    ['port', null],
    ['storageGb', 0],
    ['storageGb', 11],
    ['storageGb', 2.5],
    ['storageGb', '5'],
    ['repoUrl', 'https://gitlab.com/a/b'],
    ['repoUrl', 'http://github.com/a/b'],
    ['repoUrl', 'https://github.com/a'],
    ['repoUrl', 'https://github.com/a/b/c'],
    ['repoUrl', 'https://github.com/a/b?x=1'],
    ['repoUrl', 'https://github.com/../..'],
    ['dockerfilePath', '/etc/Dockerfile'],
    ['dockerfilePath', 'a/../../Dockerfile'],
    ['branch', 'a..b'],
    ['branch', 'refs/heads/../x'],
    ['healthCheckPath', 'health'],
    ['healthCheckPath', '/a b'],
    ['name', 'Web'],
    ['name', '1web'],
    ['name', 'web-'],
    ['name', 'a'.repeat(57)],
    ['name', 42],
  ])('a service with %s = %j gets a 400 on that field', async (field, value) => {
    const body = { name: 'svc', repoUrl: 'https://github.com/a/b', port: 80, [field]: value };
    const res = await post(`/projects/${projectId}/services`, body).expect(400);
    expect(Object.keys(res.body.error.fields as object)).toEqual([field]);
  });

  it('a 56-character service name is the longest that fits {hash}-{name} in 63', async () => {
    await post(`/projects/${projectId}/services`, { name: 'a'.repeat(56), repoUrl: 'https://github.com/a/b', port: 80 }).expect(201);
  });

  it.each([
    ['an array', '[1,2]'],
    ['a string', '"shop"'],
    ['null', 'null'],
    ['broken JSON', '{"name": '],
    ['a duplicate-key trick', '{"name":"ok","name":{"$gt":""}}'],
  ])('a body that is %s gets a clear 400', async (_label, raw) => {
    const res = await request(t.app)
      .post('/api/projects')
      .set('Cookie', cookie)
      .set('Origin', ORIGIN)
      .set('Content-Type', 'application/json')
      .send(raw)
      .expect(400);
    expect(res.body.error).toEqual(expect.objectContaining({ code: expect.any(String) as string, message: expect.any(String) as string }));
  });

  it('a body over 64 KiB gets 413 and nothing is written', async () => {
    const before = await counts();
    const res = await post(`/services/${serviceId}/env`, { key: 'BIG', value: 'x'.repeat(70_000) }).expect(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(await counts()).toEqual(before);
  });

  it('an env value over 32 KiB (but a body under the limit) gets a 400 on value', async () => {
    const res = await post(`/services/${serviceId}/env`, { key: 'BIG', value: 'x'.repeat(33_000) }).expect(400);
    expect(Object.keys(res.body.error.fields as object)).toEqual(['value']);
  });

  it.each(['not-a-uuid', '00000000-0000-0000-0000-000000000000', "1' OR '1'='1", 'x'.repeat(5000)])(
    'an id of %j is a 404, never a 500',
    async (id) => {
      await request(t.app).get(`/api/projects/${encodeURIComponent(id)}`).set('Cookie', cookie).expect(404);
      await request(t.app).get(`/api/services/${encodeURIComponent(id)}`).set('Cookie', cookie).expect(404);
      await request(t.app).get(`/api/deployments/${encodeURIComponent(id)}`).set('Cookie', cookie).expect(404);
    },
  );
});
