// Changes of one bucket at once, through the api as production wires it, against a real
// SeaweedFS: rotations, enables, disables and "delete now" of the same bucket run one after
// another (a row lock of the bucket), so the backend never holds a valid key the platform
// did not record.
import request from 'supertest';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { startSeaweedFs, type SeaweedFs } from './support/seaweedfs.js';

describe('object storage: changes of one bucket at once', () => {
  let weed: SeaweedFs;
  let t: TestPlatform;
  let iam: IAMClient;

  beforeAll(async () => {
    weed = await startSeaweedFs();
    iam = new IAMClient({ endpoint: weed.endpoint, region: weed.region, credentials: weed.admin });
  }, 90_000);
  afterAll(async () => {
    iam.destroy();
    await weed.stop();
  });
  afterEach(async () => {
    await t.close();
  });

  const call = (method: 'get' | 'put' | 'post' | 'delete', path: string, cookie: string) =>
    request(t.app)[method](`/api${path}`).set('Cookie', cookie).set('Origin', ORIGIN);

  async function serviceOf(cookie: string, project: string, name: string): Promise<{ id: string; namespace: string }> {
    const p = await call('post', '/projects', cookie).send({ name: project }).expect(201);
    const s = await call('post', `/projects/${p.body.id as string}/services`, cookie).send({ name, repoUrl: 'https://github.com/acme/web', port: 8080 }).expect(201);
    const namespace = p.body.namespace as string;
    // A deployed image, so that each change is a commit and a rollout as in production.
    await t.db.query(
      `WITH d AS (INSERT INTO deployments (service_id, commit_sha, status, image_tag) VALUES ($1, $2, 'live', $3) RETURNING id)
       UPDATE services SET current_deployment_id = d.id FROM d WHERE services.id = $1`,
      [s.body.id, 'c'.repeat(40), `harbor.local/dangus/${namespace}/${name}:${'c'.repeat(40)}`],
    );
    return { id: s.body.id as string, namespace };
  }

  /** The key ids the backend holds for the bucket's identity: the keys that work. */
  async function keysOnBackend(bucket: string): Promise<string[]> {
    const { AccessKeyMetadata: keys = [] } = await iam.send(new ListAccessKeysCommand({ UserName: bucket }));
    return keys.flatMap((k) => (k.AccessKeyId ? [k.AccessKeyId] : [])).sort();
  }
  async function recorded(serviceId: string): Promise<{ keyId: string | null; secret: string | null }> {
    const [row] = await t.db.query<{ access_key_id: string | null; secret_access_key: string | null }[]>(
      `SELECT access_key_id, secret_access_key FROM service_buckets WHERE service_id = $1`,
      [serviceId],
    );
    return { keyId: row?.access_key_id ?? null, secret: row?.secret_access_key ? t.encryptor.decrypt(row.secret_access_key) : null };
  }
  /** Lists the bucket with the recorded key: 'ok' or the server's error. */
  async function recordedKeyLists(serviceId: string, bucket: string): Promise<string> {
    const key = await recorded(serviceId);
    if (!key.keyId || !key.secret) return 'none recorded';
    const app = new S3Client({ endpoint: weed.endpoint, region: weed.region, credentials: { accessKeyId: key.keyId, secretAccessKey: key.secret }, forcePathStyle: true, maxAttempts: 1 });
    try {
      return await app.send(new ListObjectsV2Command({ Bucket: bucket })).then(() => 'ok', (err: unknown) => (err as Error).name);
    } finally {
      app.destroy();
    }
  }

  it('concurrent rotations and enables leave exactly one valid key, the recorded one', async () => {
    t = await startTestPlatform({
      OBJECT_STORAGE_ENDPOINT: weed.endpoint,
      OBJECT_STORAGE_ACCESS_KEY_ID: weed.admin.accessKeyId,
      OBJECT_STORAGE_SECRET_ACCESS_KEY: weed.admin.secretAccessKey,
    });
    const cookie = await t.signIn('octocat', 4242);
    const web = await serviceOf(cookie, 'race', 'web');
    const bucket = `${web.namespace}--web`;
    await call('put', `/services/${web.id}/object-storage`, cookie).expect(201);
    const first = (await recorded(web.id)).keyId;
    expect(await keysOnBackend(bucket)).toEqual([first]);

    // Four rotations at once: each one succeeds, one after another.
    const rotations = await Promise.all([1, 2, 3, 4].map(() => call('post', `/services/${web.id}/object-storage/rotate`, cookie)));
    expect(rotations.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const after = await recorded(web.id);
    expect(await keysOnBackend(bucket)).toEqual([after.keyId]);
    expect(await recordedKeyLists(web.id, bucket)).toBe('ok');
    expect(after.keyId).not.toBe(first);

    // Disabled, then taken back by three enables at once: one key, the recorded one.
    await call('delete', `/services/${web.id}/object-storage`, cookie).expect(200);
    expect(await keysOnBackend(bucket)).toEqual([]);
    const enables = await Promise.all([1, 2, 3].map(() => call('put', `/services/${web.id}/object-storage`, cookie)));
    expect(enables.map((r) => r.status).sort()).toEqual([200, 200, 200]);
    expect(await keysOnBackend(bucket)).toEqual([(await recorded(web.id)).keyId]);
    expect(await recordedKeyLists(web.id, bucket)).toBe('ok');

    // Rotations and a disable at once: whichever order, no key is left valid.
    const mixed = await Promise.all([
      call('post', `/services/${web.id}/object-storage/rotate`, cookie),
      call('delete', `/services/${web.id}/object-storage`, cookie),
      call('post', `/services/${web.id}/object-storage/rotate`, cookie),
    ]);
    expect(mixed.map((r) => r.status).every((s) => s === 200 || s === 409)).toBe(true);
    expect(await recorded(web.id)).toEqual({ keyId: null, secret: null });
    expect(await keysOnBackend(bucket)).toEqual([]);
  });
});
