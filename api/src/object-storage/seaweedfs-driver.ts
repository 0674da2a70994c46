import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  IAMClient,
  IAMServiceException,
  ListAccessKeysCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import type { ObjectStorageSettings } from '../config/object-storage.js';
import type { BucketKey, BucketUsage, ObjectStorageDriver } from './driver.js';

/** The inline policy every bucket's user gets: this bucket and its objects, nothing else. */
export const BUCKET_POLICY_NAME = 'dangus-bucket';

export function bucketPolicy(bucket: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['s3:ListBucket', 's3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
      },
    ],
  });
}

/** Deleting a bucket's objects: S3's DeleteObjects takes at most 1000 keys. */
const DELETE_BATCH = 1000;

const code = (err: unknown) => (err instanceof S3ServiceException || err instanceof IAMServiceException ? err.name : undefined);

/**
 * The driver for servers with the S3 API and the AWS IAM API: SeaweedFS (`weed s3` with its
 * embedded IAM, `-iam.readOnly=false`), and in the same shapes AWS S3 and Ceph RGW. One IAM
 * user per bucket, named after it, holding the one inline policy {@link bucketPolicy}; its
 * access keys are the bucket's keys. Usage is counted by listing (S3 has no usage call).
 */
export class SeaweedFsDriver implements ObjectStorageDriver {
  private readonly s3: S3Client;
  private readonly iam: IAMClient;

  constructor(settings: Pick<ObjectStorageSettings, 'endpoint' | 'iamEndpoint' | 'region' | 'admin'>) {
    const common = {
      region: settings.region,
      credentials: settings.admin,
      // A backend that does not answer must not hold a request for long: two tries, short timeouts.
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 3_000, requestTimeout: 15_000 },
    };
    this.s3 = new S3Client({ ...common, endpoint: settings.endpoint, forcePathStyle: true });
    this.iam = new IAMClient({ ...common, endpoint: settings.iamEndpoint });
  }

  async createBucket(bucket: string): Promise<boolean> {
    try {
      await this.s3.send(new CreateBucketCommand({ Bucket: bucket }));
      return true;
    } catch (err) {
      if (code(err) === 'BucketAlreadyOwnedByYou' || code(err) === 'BucketAlreadyExists') return false;
      throw err;
    }
  }

  async createScopedKey(bucket: string): Promise<BucketKey> {
    try {
      await this.iam.send(new CreateUserCommand({ UserName: bucket }));
    } catch (err) {
      if (code(err) !== 'EntityAlreadyExistsException' && code(err) !== 'EntityAlreadyExists') throw err;
    }
    await this.iam.send(new PutUserPolicyCommand({ UserName: bucket, PolicyName: BUCKET_POLICY_NAME, PolicyDocument: bucketPolicy(bucket) }));
    const { AccessKey: key } = await this.iam.send(new CreateAccessKeyCommand({ UserName: bucket }));
    if (!key?.AccessKeyId || !key.SecretAccessKey) throw new Error('the IAM API answered CreateAccessKey without a key');
    return { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
  }

  async revokeKey(bucket: string, accessKeyId: string): Promise<void> {
    try {
      await this.iam.send(new DeleteAccessKeyCommand({ UserName: bucket, AccessKeyId: accessKeyId }));
    } catch (err) {
      if (!isNoSuchEntity(err)) throw err;
    }
  }

  async usage(bucket: string): Promise<BucketUsage> {
    let bytes = 0;
    let objects = 0;
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        bytes += object.Size ?? 0;
        objects += 1;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return { bytes, objects };
  }

  async deleteBucket(bucket: string): Promise<void> {
    // The identity first (its keys stop working), but its failure does not keep the bucket:
    // a half-made bucket whose IAM API is down must still go. The failure is thrown after.
    const failed = await this.deleteUser(bucket).then(() => null, (error: unknown) => ({ error }));
    try {
      for (;;) {
        const page = await this.s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: DELETE_BATCH }));
        const keys = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [{ Key: o.Key }]));
        if (keys.length === 0) break;
        await this.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
      }
      await this.s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    } catch (err) {
      if (code(err) !== 'NoSuchBucket') throw err;
    }
    if (failed) throw failed.error;
  }

  /** The bucket's user, its keys and its policy: the keys stop working first. */
  private async deleteUser(user: string): Promise<void> {
    try {
      const { AccessKeyMetadata: keys = [] } = await this.iam.send(new ListAccessKeysCommand({ UserName: user }));
      for (const key of keys) if (key.AccessKeyId) await this.revokeKey(user, key.AccessKeyId);
      await this.iam.send(new DeleteUserPolicyCommand({ UserName: user, PolicyName: BUCKET_POLICY_NAME })).catch((err: unknown) => {
        if (!isNoSuchEntity(err)) throw err;
      });
      await this.iam.send(new DeleteUserCommand({ UserName: user }));
    } catch (err) {
      if (!isNoSuchEntity(err)) throw err;
    }
  }
}

function isNoSuchEntity(err: unknown): boolean {
  return code(err) === 'NoSuchEntityException' || code(err) === 'NoSuchEntity';
}
