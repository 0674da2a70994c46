// The bucket-name prefix (OBJECT_STORAGE_BUCKET_PREFIX, for AWS S3's global namespace)
// through the api, as production wires it, against a real SeaweedFS: the bucket made, the
// name the app is given and the one stored all begin with it.
import request from 'supertest';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { ObjectStorageDto } from '@dangus/common';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { startSeaweedFs, type SeaweedFs } from './support/seaweedfs.js';

describe('object storage with a bucket-name prefix', () => {
  let weed: SeaweedFs;
  let t: TestPlatform;
  let admin: S3Client;

  beforeAll(async () => {
    weed = await startSeaweedFs();
    admin = new S3Client({ endpoint: weed.endpoint, region: weed.region, credentials: weed.admin, forcePathStyle: true });
  }, 90_000);
  afterAll(async () => {
    admin.destroy();
    await t.close();
    await weed.stop();
  });

  it('makes the bucket under the prefix, and gives the app that name', async () => {
    t = await startTestPlatform({
      OBJECT_STORAGE_ENDPOINT: weed.endpoint,
      OBJECT_STORAGE_ACCESS_KEY_ID: weed.admin.accessKeyId,
      OBJECT_STORAGE_SECRET_ACCESS_KEY: weed.admin.secretAccessKey,
      OBJECT_STORAGE_BUCKET_PREFIX: 'acme-prod-',
    });
    const cookie = await t.signIn('octocat', 4242);
    const call = (method: 'post' | 'put', path: string) => request(t.app)[method](`/api${path}`).set('Cookie', cookie).set('Origin', ORIGIN);
    const project = await call('post', '/projects').send({ name: 'shop' }).expect(201);
    const service = await call('post', `/projects/${project.body.id as string}/services`).send({ name: 'web', repoUrl: 'https://github.com/acme/web', port: 8080 }).expect(201);
    const bucket = `acme-prod-${project.body.namespace as string}--web`;

    const enabled = (await call('put', `/services/${service.body.id as string}/object-storage`).expect(201)).body as ObjectStorageDto;
    expect(enabled.bucket?.bucket).toBe(bucket);
    expect(await admin.send(new HeadBucketCommand({ Bucket: bucket })).then(() => 'ok', (err: unknown) => (err as Error).name)).toBe('ok');
    expect(await t.db.query(`SELECT bucket FROM service_buckets`)).toEqual([{ bucket }]);
  });
});
