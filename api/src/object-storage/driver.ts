/**
 * The object-storage driver: what the platform asks of a backend for per-service buckets.
 * One implementation per backend family; seaweedfs-driver.ts speaks the S3 API and the AWS
 * IAM API (users, inline policies, access keys), which SeaweedFS, AWS S3 and Ceph RGW serve.
 * A backend whose IAM differs (Garage's admin API) implements this interface of its own.
 */

/** An access key, the secret shown once: the caller encrypts it at rest. */
export interface BucketKey {
  accessKeyId: string;
  secretAccessKey: string;
}

/** What a bucket holds. */
export interface BucketUsage {
  bytes: number;
  objects: number;
}

export interface ObjectStorageDriver {
  /** Creates the bucket: `true` when it is new, `false` when it was ours already (a kept bucket). */
  createBucket(bucket: string): Promise<boolean>;
  /** A new access key whose policy allows this bucket and its objects, and nothing else. */
  createScopedKey(bucket: string): Promise<BucketKey>;
  /** Revokes the key at once; a key already gone is no error. */
  revokeKey(bucket: string, accessKeyId: string): Promise<void>;
  /** Size and object count of the bucket. */
  usage(bucket: string): Promise<BucketUsage>;
  /** Empties and deletes the bucket and whatever identity its keys belonged to; a bucket gone is no error. */
  deleteBucket(bucket: string): Promise<void>;
}

/** The backend could not be reached or refused the platform's admin: nothing was half-created. */
export class ObjectStorageUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ObjectStorageUnavailable';
  }
}

/**
 * A bucket and its key, or neither: a key that cannot be made after its bucket was
 * deletes the bucket again when it is new (and so empty), so the backend never holds half
 * of it. A kept bucket (re-enabled in its grace period) keeps its data whatever happens.
 */
export async function provisionBucket(driver: ObjectStorageDriver, bucket: string): Promise<{ key: BucketKey; created: boolean }> {
  let created: boolean;
  try {
    created = await driver.createBucket(bucket);
  } catch (err) {
    throw new ObjectStorageUnavailable(`Object storage could not create bucket ${bucket}: ${message(err)}`, { cause: err });
  }
  try {
    return { key: await driver.createScopedKey(bucket), created };
  } catch (err) {
    if (created) await driver.deleteBucket(bucket).catch(() => undefined);
    throw new ObjectStorageUnavailable(`Object storage could not create a key for bucket ${bucket}: ${message(err)}`, { cause: err });
  }
}

export function message(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
