/**
 * Object storage per service (README "Object storage"): a bucket, a key that reaches only
 * it, injected into the app at run time as these variables.
 */
import { z } from 'zod';
import { serviceHostFor } from './names.js';

/** The variables a service with object storage gets (the values never enter git). */
export const OBJECT_STORAGE_ENV_KEYS = [
  'AWS_ENDPOINT_URL_S3',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_REGION',
  'BUCKET_NAME',
  'AWS_S3_FORCE_PATH_STYLE',
] as const;

/**
 * A service's bucket name: its host label, `{hash}-{project}--{service}` (a long one cut
 * and given a digest, see serviceHostFor). That label is already within S3's bucket rules
 * (3–63 characters, lowercase letters, digits and single or double hyphens, a letter or digit
 * at both ends, never an IP address) and injective: two services never map to one bucket.
 */
export function bucketNameFor(userHash: string, projectName: string, serviceName: string): string {
  return serviceHostFor(userHash, projectName, serviceName);
}

export const bucketUsageSchema = z.strictObject({ bytes: z.number().int(), objects: z.number().int() });

/** A bucket the platform made: a service's, or one kept after its service let it go. */
export const bucketDtoSchema = z.strictObject({
  id: z.uuid(),
  bucket: z.string(),
  /** The S3 endpoint the app is given (AWS_ENDPOINT_URL_S3). */
  endpoint: z.string(),
  region: z.string(),
  /** The service it belongs to; null once that service is deleted. */
  serviceId: z.uuid().nullable(),
  serviceName: z.string(),
  namespace: z.string(),
  /** `active`: the app holds a key; `kept`: no key, deleted at `deleteAfter` unless deleted now. */
  state: z.enum(['active', 'kept']),
  /** The current key's id (never its secret). */
  accessKeyId: z.string().nullable(),
  deleteAfter: z.iso.datetime({ offset: true }).nullable(),
  /** Null when the backend did not answer; `usageError` says why. */
  usage: bucketUsageSchema.nullable(),
  usageError: z.string().nullable(),
  createdAt: z.iso.datetime({ offset: true }),
});
export type BucketDto = z.infer<typeof bucketDtoSchema>;

/** A service's object storage: whether the platform offers it, and the service's bucket if any. */
export const objectStorageDtoSchema = z.strictObject({
  /** False when the platform has no object-storage backend (OBJECT_STORAGE_ENDPOINT unset). */
  available: z.boolean(),
  bucket: bucketDtoSchema.nullable(),
  /** Days a bucket is kept after its storage is disabled or its service deleted. */
  graceDays: z.number().int(),
});
export type ObjectStorageDto = z.infer<typeof objectStorageDtoSchema>;
