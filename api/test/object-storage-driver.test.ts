// The object-storage driver (src/object-storage/) against a real SeaweedFS: buckets, keys
// scoped to one bucket (refused on another tenant's by the server itself, for every verb),
// rotation, usage, deletion, and nothing half-created when the backend cannot finish.
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { IAMClient, ListUsersCommand } from '@aws-sdk/client-iam';
import { provisionBucket as provision, ObjectStorageUnavailable, type BucketKey, type ObjectStorageDriver } from '../src/object-storage/driver.js';
import { SeaweedFsDriver } from '../src/object-storage/seaweedfs-driver.js';
import { startSeaweedFs, type SeaweedFs } from './support/seaweedfs.js';

describe('object storage driver against SeaweedFS', () => {
  let weed: SeaweedFs;
  let driver: SeaweedFsDriver;
  let admin: S3Client;

  beforeAll(async () => {
    weed = await startSeaweedFs();
    driver = new SeaweedFsDriver({ endpoint: weed.endpoint, iamEndpoint: weed.endpoint, region: weed.region, admin: weed.admin });
    admin = client(weed.admin);
  }, 90_000);
  afterAll(async () => {
    admin.destroy();
    await weed.stop();
  });

  /** A bucket and its key, as the platform makes them. */
  const provisionBucket = async (d: ObjectStorageDriver, bucket: string) => (await provision(d, bucket)).key;

  function client(key: BucketKey): S3Client {
    return new S3Client({ endpoint: weed.endpoint, region: weed.region, credentials: key, forcePathStyle: true, maxAttempts: 1 });
  }

  /** What the server answers `key` for each verb on `bucket`: 'ok' or the error's name. */
  async function verbs(key: BucketKey, bucket: string, object: string) {
    const s3 = client(key);
    const outcome = (p: Promise<unknown>) => p.then(() => 'ok', (err: unknown) => (err as Error).name);
    try {
      return {
        list: await outcome(s3.send(new ListObjectsV2Command({ Bucket: bucket }))),
        get: await outcome(s3.send(new GetObjectCommand({ Bucket: bucket, Key: object })).then((r) => r.Body?.transformToString())),
        put: await outcome(s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${object}.intruder`, Body: 'x' }))),
        delete: await outcome(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: object }))),
      };
    } finally {
      s3.destroy();
    }
  }

  async function read(bucket: string, key: string): Promise<string | null> {
    try {
      const object = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return (await object.Body?.transformToString()) ?? null;
    } catch (err) {
      if ((err as Error).name === 'NoSuchKey') return null;
      throw err;
    }
  }

  async function bucketExists(bucket: string): Promise<boolean> {
    return admin.send(new HeadBucketCommand({ Bucket: bucket })).then(() => true, (err: unknown) => {
      if ((err as Error).name === 'NotFound' || (err as Error).name === 'NoSuchBucket') return false;
      throw err;
    });
  }

  async function users(): Promise<string[]> {
    const iam = new IAMClient({ endpoint: weed.endpoint, region: weed.region, credentials: weed.admin });
    try {
      return ((await iam.send(new ListUsersCommand({}))).Users ?? []).map((u) => u.UserName ?? '');
    } finally {
      iam.destroy();
    }
  }

  it("refuses tenant A's key on tenant B's bucket for list, get, put and delete, and allows them on A's", async () => {
    const a = await provisionBucket(driver, 'ns-alice-web');
    const b = await provisionBucket(driver, 'ns-bob-web');
    await admin.send(new PutObjectCommand({ Bucket: 'ns-bob-web', Key: 'secret.txt', Body: 'bob only' }));
    await admin.send(new PutObjectCommand({ Bucket: 'ns-alice-web', Key: 'mine.txt', Body: 'alice' }));

    expect(await verbs(a, 'ns-bob-web', 'secret.txt')).toEqual({ list: 'AccessDenied', get: 'AccessDenied', put: 'AccessDenied', delete: 'AccessDenied' });
    expect(await verbs(b, 'ns-alice-web', 'mine.txt')).toEqual({ list: 'AccessDenied', get: 'AccessDenied', put: 'AccessDenied', delete: 'AccessDenied' });
    // Nothing of B's changed, and no object was added.
    expect(await read('ns-bob-web', 'secret.txt')).toBe('bob only');
    expect(await read('ns-bob-web', 'secret.txt.intruder')).toBeNull();

    // The same verbs on its own bucket succeed (the delete last: it removes the object).
    expect(await verbs(a, 'ns-alice-web', 'mine.txt')).toEqual({ list: 'ok', get: 'ok', put: 'ok', delete: 'ok' });
    expect(await read('ns-alice-web', 'mine.txt')).toBeNull();
    expect(await read('ns-alice-web', 'mine.txt.intruder')).toBe('x');
  });

  it('rotation: the new key works and the revoked one is refused at once', async () => {
    const old = await provisionBucket(driver, 'ns-carol-api');
    expect((await verbs(old, 'ns-carol-api', 'none')).list).toBe('ok');
    const fresh = await driver.createScopedKey('ns-carol-api');
    await driver.revokeKey('ns-carol-api', old.accessKeyId);

    expect(fresh.accessKeyId).not.toBe(old.accessKeyId);
    expect((await verbs(fresh, 'ns-carol-api', 'none')).put).toBe('ok');
    expect(await verbs(old, 'ns-carol-api', 'none.intruder')).toEqual({ list: 'InvalidAccessKeyId', get: 'InvalidAccessKeyId', put: 'InvalidAccessKeyId', delete: 'InvalidAccessKeyId' });
    // Revoking a key already gone is no error.
    await driver.revokeKey('ns-carol-api', old.accessKeyId);
  });

  it('counts usage, and deleting a bucket removes its objects, its user and its keys', async () => {
    const key = await provisionBucket(driver, 'ns-dave-files');
    const s3 = client(key);
    await s3.send(new PutObjectCommand({ Bucket: 'ns-dave-files', Key: 'a', Body: Buffer.alloc(1000) }));
    await s3.send(new PutObjectCommand({ Bucket: 'ns-dave-files', Key: 'dir/b', Body: Buffer.alloc(2345) }));
    s3.destroy();
    expect(await driver.usage('ns-dave-files')).toEqual({ bytes: 3345, objects: 2 });

    await driver.deleteBucket('ns-dave-files');
    expect(await bucketExists('ns-dave-files')).toBe(false);
    expect(await users()).not.toContain('ns-dave-files');
    expect((await verbs(key, 'ns-dave-files', 'a')).list).toBe('InvalidAccessKeyId');
    // Deleting it again is no error.
    await driver.deleteBucket('ns-dave-files');
  });

  it('an unreachable IAM API leaves no bucket behind, and an unreachable S3 API no user', async () => {
    const closed = 'http://127.0.0.1:9'; // the discard port: nothing listens on loopback
    const noIam = new SeaweedFsDriver({ endpoint: weed.endpoint, iamEndpoint: closed, region: weed.region, admin: weed.admin });
    await expect(provisionBucket(noIam, 'ns-erin-web')).rejects.toBeInstanceOf(ObjectStorageUnavailable);
    expect(await bucketExists('ns-erin-web')).toBe(false);

    const noS3 = new SeaweedFsDriver({ endpoint: closed, iamEndpoint: weed.endpoint, region: weed.region, admin: weed.admin });
    await expect(provisionBucket(noS3, 'ns-frank-web')).rejects.toBeInstanceOf(ObjectStorageUnavailable);
    expect(await users()).not.toContain('ns-frank-web');
    expect(await bucketExists('ns-frank-web')).toBe(false);
  });

  it("a kept bucket's data survives a failed re-provisioning", async () => {
    await provisionBucket(driver, 'ns-gina-web');
    await admin.send(new PutObjectCommand({ Bucket: 'ns-gina-web', Key: 'keep.txt', Body: 'data' }));
    const noIam = new SeaweedFsDriver({ endpoint: weed.endpoint, iamEndpoint: 'http://127.0.0.1:9', region: weed.region, admin: weed.admin });
    await expect(provisionBucket(noIam, 'ns-gina-web')).rejects.toBeInstanceOf(ObjectStorageUnavailable);
    expect(await read('ns-gina-web', 'keep.txt')).toBe('data');
  });
});
