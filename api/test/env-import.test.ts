import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import { z } from 'zod';
import { serviceActivityDtoSchema } from '@dangus/common';
import { Encryptor } from '../src/crypto/encryption.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';

const exec = promisify(execFile);

/** A `.env` file as a user pastes it: comments, `export`, quotes, a multi-line value. */
const DOTENV = [
  '# the app',
  'export DATABASE_URL=postgres://app:s3cret@db/app',
  'GREETING="hello world" # inline comment',
  'API_KEY=new-key',
  "PRIVATE_KEY='-----BEGIN-----",
  'abc',
  "-----END-----'",
  '',
].join('\n');

describe('a pasted .env file, previewed then imported', () => {
  let t: TestPlatform;
  let cookie: string;
  let serviceId: string;
  let ns: string;
  const post = (path: string, body: object, as = cookie) => request(t.app).post(`/api${path}`).set('Cookie', as).set('Origin', ORIGIN).send(body);
  const git = async (...args: string[]) => (await exec('git', ['--git-dir', t.stateRepoDir, ...args])).stdout;
  /** The service's variables as stored, decrypted. */
  const stored = async (): Promise<Record<string, string>> => {
    const encryptor = new Encryptor('k1', t.encryptionKey);
    const rows = await t.db.query<{ key: string; value: string }[]>(`SELECT key, value FROM env_vars WHERE service_id = $1 ORDER BY key`, [serviceId]);
    return Object.fromEntries(rows.map((r) => [r.key, encryptor.decrypt(r.value)]));
  };

  async function setUp(env: Record<string, string> = {}): Promise<void> {
    t = await startTestPlatform(env);
    cookie = await t.signIn('octocat', 4242);
    const project = await post('/projects', { name: 'shop' }).expect(201);
    ns = project.body.namespace as string;
    const service = await post(`/projects/${project.body.id as string}/services`, { name: 'web', repoUrl: 'https://github.com/acme/web', port: 8080 }).expect(201);
    serviceId = service.body.id as string;
    // A deployed image (the current deployment), so an env change rolls out.
    await t.db.query(
      `WITH d AS (INSERT INTO deployments (service_id, commit_sha, status, image_tag) VALUES ($1, $2, 'live', $3) RETURNING id)
       UPDATE services SET current_deployment_id = d.id FROM d WHERE services.id = $1`,
      [serviceId, 'c'.repeat(40), `harbor.local/dangus/${ns}/web:${'c'.repeat(40)}`],
    );
    await post(`/services/${serviceId}/env`, { key: 'API_KEY', value: 'old-key' }).expect(201);
    await post(`/services/${serviceId}/env`, { key: 'GREETING', value: 'hello world' }).expect(201);
    await post(`/services/${serviceId}/env`, { key: 'LOG_LEVEL', value: 'debug' }).expect(201);
  }
  afterEach(async () => {
    await t.close();
  });

  it('previews by key, without values and without writing; the import is then one transaction, one commit and one rollout', async () => {
    await setUp();
    const before = { commits: (await git('rev-list', '--count', 'HEAD')).trim(), env: await stored() };
    const preview = await post(`/services/${serviceId}/env/import/preview`, { dotenv: DOTENV }).expect(200);
    expect(preview.body).toEqual({
      added: ['DATABASE_URL', 'PRIVATE_KEY'],
      changed: ['API_KEY'],
      unchanged: ['GREETING'],
      kept: ['LOG_LEVEL'],
      applied: false,
      deploymentId: null,
    });
    expect(JSON.stringify(preview.body)).not.toMatch(/s3cret|new-key|hello/);
    expect(await stored()).toEqual(before.env);
    expect((await git('rev-list', '--count', 'HEAD')).trim()).toBe(before.commits);

    const applied = await post(`/services/${serviceId}/env/import`, { dotenv: DOTENV }).expect(200);
    expect(applied.body).toMatchObject({ added: ['DATABASE_URL', 'PRIVATE_KEY'], changed: ['API_KEY'], unchanged: ['GREETING'], kept: ['LOG_LEVEL'], applied: true });
    expect(await stored()).toEqual({
      API_KEY: 'new-key',
      DATABASE_URL: 'postgres://app:s3cret@db/app',
      GREETING: 'hello world',
      LOG_LEVEL: 'debug',
      PRIVATE_KEY: '-----BEGIN-----\nabc\n-----END-----',
    });
    // One commit, by the user, naming keys only; the values are nowhere in git.
    expect(Number((await git('rev-list', '--count', 'HEAD')).trim())).toBe(Number(before.commits) + 1);
    expect((await git('log', '-1', '--format=%an|%s')).trim()).toBe(`octocat|env(${ns}/web): import set DATABASE_URL, PRIVATE_KEY; update API_KEY`);
    expect(await git('log', '-p', '--all')).not.toMatch(/s3cret|new-key|BEGIN/);
    // One rollout: the current deployment is the config change the answer names.
    const current = await t.db.query<{ id: string; trigger: string }[]>(
      `SELECT d.id, d.trigger FROM services s JOIN deployments d ON d.id = s.current_deployment_id WHERE s.id = $1`,
      [serviceId],
    );
    expect(current).toEqual([{ id: applied.body.deploymentId as string, trigger: 'config' }]);

    // The same file again changes nothing: no commit, no rollout.
    const again = await post(`/services/${serviceId}/env/import`, { dotenv: DOTENV }).expect(200);
    expect(again.body).toMatchObject({ added: [], changed: [], applied: false, deploymentId: null });
    expect(Number((await git('rev-list', '--count', 'HEAD')).trim())).toBe(Number(before.commits) + 1);
  });

  it('refuses a file with bad lines, naming every one by its number, and changes nothing', async () => {
    await setUp();
    const before = { commits: (await git('rev-list', '--count', 'HEAD')).trim(), env: await stored() };
    const bad = ['API_KEY=fine', 'just some words', '9LIVES=cat', 'API_KEY=twice', 'OPEN="never closed', 'X=1'].join('\n');
    for (const path of ['/env/import/preview', '/env/import']) {
      const res = await post(`/services/${serviceId}${path}`, { dotenv: bad }).expect(400);
      expect(res.body.error.fields).toEqual({
        dotenv: [
          'Line 2: not a variable: write KEY=value.',
          'Line 3: "9LIVES" is not a valid key: Use letters, digits and "_", not starting with a digit.',
          'Line 4: API_KEY is already set on line 1: keep one.',
          'Line 5: OPEN: the quote (") that opens its value is never closed.',
        ],
      });
    }
    await post(`/services/${serviceId}/env/import`, { dotenv: '# nothing\n' }).expect(400);
    await post(`/services/${serviceId}/env/import`, { dotenv: 'A=1', replace: true }).expect(400);
    await post(`/services/${serviceId}/env/import`, { dotenv: 42 }).expect(400);
    expect(await stored()).toEqual(before.env);
    expect((await git('rev-list', '--count', 'HEAD')).trim()).toBe(before.commits);
  });

  it('checks the limits on the whole set: over the limit, nothing of the file is applied', async () => {
    await setUp({ MAX_ENV_VARS_PER_SERVICE: '4' });
    const before = await stored();
    const res = await post(`/services/${serviceId}/env/import`, { dotenv: 'API_KEY=changed\nONE=1\nTWO=2' }).expect(409);
    expect(res.body.error.message).toMatch(/5 env vars, more than the 4/);
    expect(await stored()).toEqual(before);
    await post(`/services/${serviceId}/env/import`, { dotenv: 'API_KEY=changed\nONE=1' }).expect(200);
    expect(Object.keys(await stored())).toHaveLength(4);
  });

  it('takes a file larger than other request bodies (64 KiB): values up to their own limit each', async () => {
    await setUp();
    const big = ['ONE', 'TWO', 'THREE'].map((key) => `${key}=${key.toLowerCase().repeat(30_000 / key.length)}`).join('\n');
    expect(Buffer.byteLength(big)).toBeGreaterThan(64 * 1024);
    const res = await post(`/services/${serviceId}/env/import`, { dotenv: big }).expect(200);
    expect(res.body.added).toEqual(['ONE', 'THREE', 'TWO']);
    expect((await stored()).TWO).toHaveLength(30_000);
    // Elsewhere the limit stays: a 90 KB body to another route is refused before it is read.
    await post(`/services/${serviceId}/env`, { key: 'BIG', value: big }).expect(413);
  });

  it("is a 404 for another user's service, which stays as it was", async () => {
    await setUp();
    const other = await t.signIn('mallory', 666);
    const before = await stored();
    for (const path of ['/env/import/preview', '/env/import']) {
      await post(`/services/${serviceId}${path}`, { dotenv: 'API_KEY=pwned' }, other).expect(404);
    }
    expect(await stored()).toEqual(before);
  });
});

describe('revealing an env value', () => {
  let t: TestPlatform;
  let cookie: string;
  const post = (path: string, as = cookie) => request(t.app).post(`/api${path}`).set('Cookie', as).set('Origin', ORIGIN).send({});

  beforeEach(async () => {
    t = await startTestPlatform();
    cookie = await t.signIn('octocat', 4242);
  });
  afterEach(async () => {
    await t.close();
  });

  it('shows the value to its owner alone, records who and when, and lists still never carry it', async () => {
    const project = await request(t.app).post('/api/projects').set('Cookie', cookie).set('Origin', ORIGIN).send({ name: 'shop' }).expect(201);
    const service = await request(t.app)
      .post(`/api/projects/${project.body.id as string}/services`)
      .set('Cookie', cookie)
      .set('Origin', ORIGIN)
      .send({ name: 'web', repoUrl: 'https://github.com/acme/web', port: 8080 })
      .expect(201);
    const serviceId = service.body.id as string;
    const env = await request(t.app).post(`/api/services/${serviceId}/env`).set('Cookie', cookie).set('Origin', ORIGIN).send({ key: 'API_KEY', value: 'hunter2' }).expect(201);
    const envId = env.body.id as string;
    const activity = (as = cookie) => request(t.app).get(`/api/services/${serviceId}/activity`).set('Cookie', as);
    expect((await activity().expect(200)).body).toEqual([]);

    // Another user (an admin too): 404, nothing recorded, nothing shown.
    const mallory = await t.signIn('mallory', 666);
    await t.db.query(`UPDATE users SET role = 'admin' WHERE github_username = 'mallory'`);
    const refused = await post(`/services/${serviceId}/env/${envId}/reveal`, mallory).expect(404);
    expect(JSON.stringify(refused.body)).not.toContain('hunter2');
    await activity(mallory).expect(404);
    expect((await activity().expect(200)).body).toEqual([]);
    // Without the platform's Origin (another site, a tenant's app on a sibling subdomain): refused, not recorded.
    await request(t.app).post(`/api/services/${serviceId}/env/${envId}/reveal`).set('Cookie', cookie).set('Origin', 'https://evil.example').expect(403);
    await post(`/services/${serviceId}/env/00000000-0000-0000-0000-000000000000/reveal`).expect(404);
    expect((await activity().expect(200)).body).toEqual([]);

    const started = Date.now();
    const shown = await post(`/services/${serviceId}/env/${envId}/reveal`).expect(200);
    expect(shown.body).toEqual({ id: envId, key: 'API_KEY', value: 'hunter2' });
    expect(shown.headers['cache-control']).toBe('no-store');
    const recorded = (await activity().expect(200)).body as { action: string; subject: string; actor: string; createdAt: string }[];
    expect(recorded).toEqual([{ id: expect.any(String) as string, action: 'env.reveal', subject: 'API_KEY', actor: 'octocat', createdAt: expect.any(String) as string }]);
    expect(Math.abs(Date.parse(recorded[0]?.createdAt ?? '') - started)).toBeLessThan(60_000);
    // The answer is what the OpenAPI document says it is (the id is the table's bigint, as a string).
    expect(z.array(serviceActivityDtoSchema).safeParse(recorded).error).toBeUndefined();
    expect(JSON.stringify((await request(t.app).get(`/api/services/${serviceId}/env`).set('Cookie', cookie).expect(200)).body)).not.toContain('hunter2');
  });
});
