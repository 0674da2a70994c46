// Object storage per service through the api, as production wires it (the outbox, the
// leading controller, the state repo), against a real SeaweedFS: enable, the key reaching
// only the service's bucket, rotation, usage, disable and delete keeping the bucket for the
// grace period, "delete now", the controller's sweep, the project limit, and a backend that
// does not answer. The values never reach git nor an answer.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import { GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ObjectStorageDto } from '@dangus/common';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { startSeaweedFs, type SeaweedFs } from './support/seaweedfs.js';
import { makeTeam } from './support/team-fixture.js';

const exec = promisify(execFile);

describe('object storage per service, against SeaweedFS', () => {
  let weed: SeaweedFs;
  let t: TestPlatform;
  let admin: S3Client;

  beforeAll(async () => {
    weed = await startSeaweedFs();
    admin = new S3Client({ endpoint: weed.endpoint, region: weed.region, credentials: weed.admin, forcePathStyle: true });
  }, 90_000);
  afterAll(async () => {
    admin.destroy();
    await weed.stop();
  });
  afterEach(async () => {
    await t.close();
  });

  const storageEnv = (extra: Record<string, string> = {}) => ({
    OBJECT_STORAGE_ENDPOINT: weed.endpoint,
    OBJECT_STORAGE_APP_ENDPOINT: 'http://seaweedfs.storage.svc:8333',
    OBJECT_STORAGE_ACCESS_KEY_ID: weed.admin.accessKeyId,
    OBJECT_STORAGE_SECRET_ACCESS_KEY: weed.admin.secretAccessKey,
    ...extra,
  });
  const call = (method: 'get' | 'put' | 'post' | 'delete', path: string, cookie: string) =>
    request(t.app)[method](`/api${path}`).set('Cookie', cookie).set('Origin', ORIGIN);
  const git = async (...args: string[]) => (await exec('git', ['--git-dir', t.stateRepoDir, ...args])).stdout;

  async function serviceOf(cookie: string, project: string, name: string): Promise<{ id: string; namespace: string }> {
    const p = await call('post', '/projects', cookie).send({ name: project }).expect(201);
    const s = await call('post', `/projects/${p.body.id as string}/services`, cookie).send({ name, repoUrl: 'https://github.com/acme/web', port: 8080 }).expect(201);
    const namespace = p.body.namespace as string;
    // A deployed image (the current deployment): its Deployment is in the state repo, and a change rolls out.
    await t.db.query(
      `WITH d AS (INSERT INTO deployments (service_id, commit_sha, status, image_tag) VALUES ($1, $2, 'live', $3) RETURNING id)
       UPDATE services SET current_deployment_id = d.id FROM d WHERE services.id = $1`,
      [s.body.id, 'c'.repeat(40), `harbor.local/dangus/${namespace}/${name}:${'c'.repeat(40)}`],
    );
    return { id: s.body.id as string, namespace };
  }

  /** The key the platform stored for the service, decrypted as the env Secret gets it. */
  async function storedKey(serviceId: string) {
    const rows: { access_key_id: string; secret_access_key: string }[] = await t.db.query(
      `SELECT access_key_id, secret_access_key FROM service_buckets WHERE service_id = $1`,
      [serviceId],
    );
    const row = rows[0];
    if (!row) throw new Error('no bucket row');
    return { accessKeyId: row.access_key_id, secretAccessKey: t.encryptor.decrypt(row.secret_access_key), sealed: row.secret_access_key };
  }
  const asKey = (key: { accessKeyId: string; secretAccessKey: string }) =>
    new S3Client({ endpoint: weed.endpoint, region: weed.region, credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }, forcePathStyle: true, maxAttempts: 1 });
  const outcome = (p: Promise<unknown>) => p.then(() => 'ok', (err: unknown) => (err as Error).name);
  const bucketExists = (bucket: string) => outcome(admin.send(new HeadBucketCommand({ Bucket: bucket })));
  const envRevision = async (namespace: string, service: string) =>
    /dangus\.cloud\/env-revision: ['"]?([^'"\n]+)/.exec(await git('show', `HEAD:tenants/${namespace}/${service}/deployment.yaml`).catch(() => ''))?.[1] ?? null;

  it('enables a bucket whose key reaches only it, injects nothing into git, rotates, shows usage, and keeps the bucket when disabled', async () => {
    t = await startTestPlatform(storageEnv());
    const cookie = await t.signIn('octocat', 4242);
    const web = await serviceOf(cookie, 'shop', 'web');
    // A commit renders the Deployment of the image set above.
    await call('post', `/services/${web.id}/env`, cookie).send({ key: 'GREETING', value: 'hi' }).expect(201);
    const before = await envRevision(web.namespace, 'web');
    expect(before).not.toBeNull();

    const enabled = await call('put', `/services/${web.id}/object-storage`, cookie).expect(201);
    const body = enabled.body as ObjectStorageDto;
    const bucket = `${web.namespace}--web`;
    expect(body).toMatchObject({ available: true, graceDays: 7, bucket: { bucket, endpoint: 'http://seaweedfs.storage.svc:8333', region: 'us-east-1', state: 'active', serviceName: 'web', usage: { bytes: 0, objects: 0 }, usageError: null, deleteAfter: null } });
    expect(await bucketExists(bucket)).toBe('ok');
    // Again: the same bucket, 200.
    await call('put', `/services/${web.id}/object-storage`, cookie).expect(200);

    // The key is stored encrypted, works on its bucket, and its secret is in no answer and not in git.
    const key = await storedKey(web.id);
    expect(key.sealed).not.toContain(key.secretAccessKey);
    expect(body.bucket?.accessKeyId).toBe(key.accessKeyId);
    expect(JSON.stringify(enabled.body)).not.toContain(key.secretAccessKey);
    const app = asKey(key);
    await app.send(new PutObjectCommand({ Bucket: bucket, Key: 'hello.txt', Body: 'hello from the app' }));
    await app.send(new PutObjectCommand({ Bucket: bucket, Key: 'b/c.bin', Body: Buffer.alloc(4096) }));
    app.destroy();
    const history = await git('log', '-p', '--all');
    for (const value of [key.secretAccessKey, key.accessKeyId, 'seaweedfs.storage.svc', 'AWS_SECRET_ACCESS_KEY']) expect(history).not.toContain(value);
    // The env revision moved: the enable is a commit and a rollout.
    expect((await git('log', '-1', '--format=%an|%s')).trim()).toBe(`octocat|env(${web.namespace}/web): enable object storage (bucket ${bucket})`);
    const enabledRevision = await envRevision(web.namespace, 'web');
    expect(enabledRevision).not.toBeNull();
    expect(enabledRevision).not.toBe(before);

    // Usage and endpoint on the service's answer.
    const shown = (await call('get', `/services/${web.id}/object-storage`, cookie).expect(200)).body as ObjectStorageDto;
    expect(shown.bucket?.usage).toEqual({ bytes: 'hello from the app'.length + 4096, objects: 2 });

    // Rotation: a new key, the old one refused by the server at once, another rollout.
    const rotated = (await call('post', `/services/${web.id}/object-storage/rotate`, cookie).expect(200)).body as ObjectStorageDto;
    const fresh = await storedKey(web.id);
    expect(rotated.bucket?.accessKeyId).toBe(fresh.accessKeyId);
    expect(fresh.accessKeyId).not.toBe(key.accessKeyId);
    const oldClient = asKey(key);
    expect(await outcome(oldClient.send(new ListObjectsV2Command({ Bucket: bucket })))).toBe('InvalidAccessKeyId');
    oldClient.destroy();
    const newClient = asKey(fresh);
    expect(await (await newClient.send(new GetObjectCommand({ Bucket: bucket, Key: 'hello.txt' }))).Body?.transformToString()).toBe('hello from the app');
    newClient.destroy();
    expect(await envRevision(web.namespace, 'web')).not.toBe(enabledRevision);

    // Disable: the key is refused at once, the bucket and its data are kept for the grace period.
    const disabled = (await call('delete', `/services/${web.id}/object-storage`, cookie).expect(200)).body as ObjectStorageDto;
    expect(disabled.bucket).toMatchObject({ state: 'kept', accessKeyId: null });
    const days = (Date.parse(disabled.bucket?.deleteAfter ?? '') - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThan(7.01);
    const revoked = asKey(fresh);
    expect(await outcome(revoked.send(new ListObjectsV2Command({ Bucket: bucket })))).toBe('InvalidAccessKeyId');
    revoked.destroy();
    expect(await (await admin.send(new GetObjectCommand({ Bucket: bucket, Key: 'hello.txt' }))).Body?.transformToString()).toBe('hello from the app');
    // The app's variables are gone: the revision is the one without storage again.
    expect(await envRevision(web.namespace, 'web')).toBe(before);

    // Enabled again within the grace period: its own bucket back, with its data, and a new key.
    const again = (await call('put', `/services/${web.id}/object-storage`, cookie).expect(200)).body as ObjectStorageDto;
    expect(again.bucket).toMatchObject({ bucket, state: 'active', deleteAfter: null, usage: { objects: 2 } });
  });

  it("another user's service and bucket are not found, on every route", async () => {
    t = await startTestPlatform(storageEnv());
    const alice = await t.signIn('alice', 1001);
    const bob = await t.signIn('bob', 1002);
    const web = await serviceOf(alice, 'shop', 'web');
    await call('put', `/services/${web.id}/object-storage`, alice).expect(201);
    await call('delete', `/services/${web.id}/object-storage`, alice).expect(200);
    const [kept] = (await call('get', '/buckets', alice).expect(200)).body as { id: string }[];
    for (const [method, path] of [['get', ''], ['put', ''], ['post', '/rotate'], ['delete', '']] as const) {
      const answer = await call(method, `/services/${web.id}/object-storage${path}`, bob).expect(404);
      expect(answer.body.error.code).toBe('not_found');
    }
    await call('delete', `/buckets/${kept?.id ?? ''}`, bob).expect(404);
    await call('delete', '/buckets/not-a-uuid', bob).expect(404);
    expect((await call('get', '/buckets', bob).expect(200)).body).toEqual([]);
    expect(await bucketExists(`${web.namespace}--web`)).toBe('ok');
  });

  it('deleting the service revokes the key at once and keeps the bucket; "delete now" and the leader\'s sweep delete kept buckets', async () => {
    t = await startTestPlatform(storageEnv());
    const cookie = await t.signIn('octocat', 4242);
    const web = await serviceOf(cookie, 'shop', 'web');
    const api = { id: (await call('post', `/projects/${(await t.db.query<{ id: string }[]>(`SELECT id FROM projects`))[0]?.id ?? ''}/services`, cookie).send({ name: 'api', repoUrl: 'https://github.com/acme/api', port: 8080 }).expect(201)).body.id as string };
    await call('put', `/services/${web.id}/object-storage`, cookie).expect(201);
    await call('put', `/services/${api.id}/object-storage`, cookie).expect(201);
    const key = await storedKey(web.id);

    await call('delete', `/services/${web.id}`, cookie).expect(204);
    const client = asKey(key);
    expect(await outcome(client.send(new ListObjectsV2Command({ Bucket: `${web.namespace}--web` })))).toBe('InvalidAccessKeyId');
    client.destroy();
    expect(await bucketExists(`${web.namespace}--web`)).toBe('ok');
    const buckets = (await call('get', '/buckets', cookie).expect(200)).body as Array<{ id: string; bucket: string; serviceId: string | null; state: string }>;
    const kept = buckets.find((b) => b.bucket === `${web.namespace}--web`);
    expect(kept).toMatchObject({ serviceId: null, state: 'kept' });

    // A new service of the same name cannot take the kept bucket over.
    const again = await call('post', `/projects/${(await t.db.query<{ id: string }[]>(`SELECT id FROM projects`))[0]?.id ?? ''}/services`, cookie).send({ name: 'web', repoUrl: 'https://github.com/acme/web', port: 8080 }).expect(201);
    const refused = await call('put', `/services/${again.body.id as string}/object-storage`, cookie).expect(409);
    expect(refused.body.error.message).toMatch(/kept until .*delete it now/);

    // An active bucket cannot be deleted now; a kept one can.
    const active = buckets.find((b) => b.serviceId === api.id);
    await call('delete', `/buckets/${active?.id ?? ''}`, cookie).expect(409);
    await call('delete', `/buckets/${kept?.id ?? ''}`, cookie).expect(204);
    expect(await bucketExists(`${web.namespace}--web`)).toBe('NotFound');
    await call('put', `/services/${again.body.id as string}/object-storage`, cookie).expect(201);

    // The leading controller deletes what is past its grace period, and only that.
    await call('delete', `/services/${api.id}/object-storage`, cookie).expect(200);
    expect(await t.controller.sweepBuckets?.()).toBe(0);
    await t.db.query(`UPDATE service_buckets SET delete_after = now() - interval '1 second' WHERE service_id = $1`, [api.id]);
    expect(await t.controller.sweepBuckets?.()).toBe(1);
    expect(await bucketExists(`${web.namespace}--api`)).toBe('NotFound');
    expect(await bucketExists(`${web.namespace}--web`)).toBe('ok');
    expect((await t.db.query(`SELECT bucket FROM service_buckets ORDER BY bucket`))).toEqual([{ bucket: `${web.namespace}--web` }]);
  });

  it('refuses a bucket beyond the project limit, creating nothing', async () => {
    t = await startTestPlatform(storageEnv({ MAX_BUCKETS_PER_PROJECT: '1' }));
    const cookie = await t.signIn('octocat', 4242);
    const one = await serviceOf(cookie, 'lim', 'one');
    const projectId = (await t.db.query<{ id: string }[]>(`SELECT id FROM projects`))[0]?.id ?? '';
    const two = (await call('post', `/projects/${projectId}/services`, cookie).send({ name: 'two', repoUrl: 'https://github.com/acme/two', port: 8080 }).expect(201)).body.id as string;
    await call('put', `/services/${one.id}/object-storage`, cookie).expect(201);
    const refused = await call('put', `/services/${two}/object-storage`, cookie).expect(409);
    expect(refused.body.error.code).toBe('limit_reached');
    expect(await bucketExists(`${one.namespace}--two`)).toBe('NotFound');
    expect(await t.db.query(`SELECT count(*)::int AS n FROM service_buckets`)).toEqual([{ n: 1 }]);
  });

  it('a backend that does not answer is a 503 that keeps nothing; a platform without one says so', async () => {
    t = await startTestPlatform(storageEnv({ OBJECT_STORAGE_ENDPOINT: 'http://127.0.0.1:9', OBJECT_STORAGE_IAM_ENDPOINT: 'http://127.0.0.1:9' }));
    const cookie = await t.signIn('octocat', 4242);
    const web = await serviceOf(cookie, 'down', 'web');
    const commits = await git('rev-list', '--count', 'HEAD');
    const refused = await call('put', `/services/${web.id}/object-storage`, cookie).expect(503);
    expect(refused.body.error.code).toBe('object_storage_unavailable');
    expect(await t.db.query(`SELECT count(*)::int AS n FROM service_buckets`)).toEqual([{ n: 0 }]);
    expect(await git('rev-list', '--count', 'HEAD')).toBe(commits);
    await t.close();

    t = await startTestPlatform();
    const other = await t.signIn('octocat', 4242);
    const svc = await serviceOf(other, 'none', 'web');
    expect((await call('get', `/services/${svc.id}/object-storage`, other).expect(200)).body).toEqual({ available: false, bucket: null, graceDays: 0 });
    expect((await call('put', `/services/${svc.id}/object-storage`, other).expect(409)).body.error.message).toMatch(/OBJECT_STORAGE_ENDPOINT/);
  });
  it("a team project's bucket belongs to the team: its maintainers manage it, a removed member and an outsider never see it", async () => {
    t = await startTestPlatform(storageEnv());
    const f = await makeTeam(t);
    const enabled = await call('put', `/services/${f.ids.service}/object-storage`, f.cookies.bob).expect(201);
    const bucket = (enabled.body as ObjectStorageDto).bucket?.bucket;
    const [row] = await t.db.query<{ user_id: string; namespace: string; account: string }[]>(
      `SELECT b.user_id, b.namespace, t.account_id AS account FROM service_buckets b, teams t WHERE b.service_id = $1 AND t.id = $2`,
      [f.ids.service, f.teamId],
    );
    expect({ owner: row?.user_id, namespace: row?.namespace }).toEqual({ owner: row?.account, namespace: `${f.teamHash}-shop` });
    expect(bucket?.startsWith(`${f.teamHash}-shop--web`)).toBe(true);
    const names = async (cookie: string) => ((await call('get', '/buckets', cookie).expect(200)).body as { bucket: string }[]).map((b) => b.bucket);
    expect(await names(f.cookies.alice)).toEqual([bucket]);
    expect(await names(f.cookies.bob)).toEqual([bucket]);
    expect(await names(f.cookies.vic)).toEqual([]);
    expect(await names(f.cookies.eve)).toEqual([]);

    await call('delete', `/services/${f.ids.service}/object-storage`, f.cookies.bob).expect(200);
    await call('delete', `/teams/${f.teamId}/members/${f.userIds.bob}`, f.cookies.alice).expect(204);
    expect(await names(f.cookies.bob)).toEqual([]);
    const [kept] = await t.db.query<{ id: string }[]>(`SELECT id FROM service_buckets WHERE service_id = $1`, [f.ids.service]);
    await call('delete', `/buckets/${kept?.id ?? ''}`, f.cookies.bob).expect(404);
    expect(await bucketExists(bucket ?? '')).toBe('ok');
  });
});
