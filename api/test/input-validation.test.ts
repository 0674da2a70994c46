import request from 'supertest';
import { EnvVarEntity, ProjectEntity, ServiceEntity } from '../src/db/entities/index.js';
import { Encryptor } from '../src/crypto/encryption.js';
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

const SERVICE_FIELDS = ['name', 'repoUrl', 'branch', 'dockerfilePath', 'healthCheckPath'] as const;

/**
 * Of HOSTILE_STRINGS, the ones each service field accepts (common/src/schemas.ts);
 * every other one is refused with a 400 on that field.
 * - name: a letter, then lowercase letters and digits with single hyphens: none.
 * - repoUrl: https://github.com/{owner}/{repo}: none.
 * - branch: what `git check-ref-format --branch` accepts (no control characters,
 *   space, ~ ^ : ? * [ \, "..", a leading "-" or "/", at most 255 characters), and no "#".
 * - dockerfilePath: letters, digits, "._/-", relative, no ".." segment.
 * - healthCheckPath: starts with "/": none.
 */
const ACCEPTED: Record<(typeof SERVICE_FIELDS)[number], readonly string[]> = {
  name: [],
  repoUrl: [],
  branch: ['a"b', "a'b", '{{namespace}}', '&anchor', '<script>alert(1)</script>', 'Ünïcödé', '😀'],
  dockerfilePath: ['---'],
  healthCheckPath: [],
};

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

  it('lists as accepted only strings of the hostile table', () => {
    expect(Object.values(ACCEPTED).flat().filter((v) => !HOSTILE_STRINGS.includes(v))).toEqual([]);
  });

  describe.each(HOSTILE_STRINGS.map((s) => [JSON.stringify(s).slice(0, 40), s]))('the string %s', (_label, value) => {
    // What a case made is removed through the api even when the case failed, so one failure stays one.
    afterEach(async () => {
      const made = await t.db.getRepository(ServiceEntity).findBy({ projectId, name: 'svc' });
      const env = await t.db.getRepository(EnvVarEntity).findBy({ serviceId, key: 'HOSTILE' });
      for (const s of made) await request(t.app).delete(`/api/services/${s.id}`).set('Cookie', cookie).set('Origin', ORIGIN).expect(204);
      for (const e of env) await request(t.app).delete(`/api/services/${serviceId}/env/${e.id}`).set('Cookie', cookie).set('Origin', ORIGIN).expect(204);
    });

    it('is refused as a project name with a field error, and nothing is written', async () => {
      const before = await counts();
      const res = await post('/projects', { name: value }).expect(400);
      expect(res.body.error.fields.name).toEqual(expect.arrayContaining([expect.any(String)]));
      expect(await counts()).toEqual(before);
    });

    it.each(SERVICE_FIELDS)('as a service %s is accepted and stored byte for byte exactly when the field\'s rule allows it', async (field) => {
      const before = await counts();
      const body = { name: 'svc', repoUrl: 'https://github.com/a/b', port: 80, [field]: value };
      const res = await post(`/projects/${projectId}/services`, body);
      if (ACCEPTED[field].includes(value)) {
        expect(res.status).toBe(201);
        const row = await t.db.getRepository(ServiceEntity).findOneByOrFail({ id: res.body.id as string });
        expect(Buffer.from(row[field] ?? '', 'utf8').equals(Buffer.from(value, 'utf8'))).toBe(true);
        const shown = await request(t.app).get(`/api/services/${res.body.id as string}`).set('Cookie', cookie).expect(200);
        expect(shown.body[field]).toBe(value);
      } else {
        expect(res.status).toBe(400);
        expect(Object.keys(res.body.error.fields as object)).toEqual([field]);
        expect(await counts()).toEqual(before);
      }
    });

    it('is refused as an env key; as an env value it is stored encrypted and decrypts to exactly itself', async () => {
      const before = await counts();
      const key = await post(`/services/${serviceId}/env`, { key: value, value: 'v' }).expect(400);
      expect(Object.keys(key.body.error.fields as object)).toEqual(['key']);
      expect(await counts()).toEqual(before);

      const res = await post(`/services/${serviceId}/env`, { key: 'HOSTILE', value }).expect(201);
      const row = await t.db.getRepository(EnvVarEntity).findOneByOrFail({ id: res.body.id as string });
      expect(row.value.startsWith('v1:k1:')).toBe(true);
      // Decrypted with the platform's key by an Encryptor of the test's own, not the api's.
      const plain = new Encryptor('k1', t.encryptionKey).decrypt(row.value);
      expect(Buffer.from(plain, 'utf8').equals(Buffer.from(value, 'utf8'))).toBe(true);
      expect(plain).toBe(value);
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
