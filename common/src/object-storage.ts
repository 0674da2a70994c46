/**
 * Object storage per service (README "Object storage"): a bucket, a key that reaches only
 * it, injected into the app at run time as these variables.
 */
import { z } from 'zod';
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';
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

/** S3's most characters in a bucket name. */
const BUCKET_MAX = 63;
/** Hex digits of the digest that stands for the cut part of a long prefixed name. */
const BUCKET_DIGEST_LENGTH = 10;
/** The longest bucket-name prefix: room is left for a cut name and its digest. */
export const BUCKET_PREFIX_MAX = 32;
/** Ends S3 reserves for its own kinds of buckets (access-point aliases, directory and table buckets, …). */
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];
/** Beginnings S3 reserves (`xn--` is refused already: a prefix has no `--`). */
const RESERVED_PREFIXES = ['sthree-', 'amzn-s3-demo-'];

/**
 * Why `prefix` cannot begin the platform's bucket names, or `null` when it can: S3's
 * naming rules (lowercase letters, digits and hyphens, a letter or digit first, none of its
 * reserved beginnings), at most {@link BUCKET_PREFIX_MAX} characters, and no `--`, which is
 * what keeps the names injective (see {@link bucketNameFor}). A trailing `-` is allowed
 * (`acme-` gives `acme-{hash}-…`).
 */
export function bucketPrefixProblem(prefix: string): string | null {
  if (prefix === '') return null;
  if (prefix.length > BUCKET_PREFIX_MAX) return `at most ${String(BUCKET_PREFIX_MAX)} characters (S3's bucket names have 63, and the service's part needs the rest).`;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(prefix)) return 'lowercase letters, digits and hyphens, a letter or digit first (S3\'s bucket naming rules; no dots, no uppercase, no underscores).';
  if (prefix.includes('--')) return 'no two hyphens in a row (`--` separates the project from the service in the names).';
  // The label after it starts with the owner's hash and never with `-`: only the prefix can begin a reserved name.
  const reserved = RESERVED_PREFIXES.find((r) => prefix.startsWith(r));
  if (reserved) return `S3 reserves bucket names starting \`${reserved}\`.`;
  return null;
}

/**
 * A service's bucket name: its host label, `{hash}-{project}--{service}` (a long one cut
 * and given a digest, see serviceHostFor), after the operator's `prefix` if any (AWS S3's
 * names are global: `OBJECT_STORAGE_BUCKET_PREFIX`). The label is within S3's bucket rules
 * (3–63 characters, lowercase letters, digits and single or double hyphens, a letter or digit
 * at both ends, never an IP address) and injective: two services never map to one bucket.
 *
 * With a prefix (itself without `--`, {@link bucketPrefixProblem}) the name is `{prefix}{label}`
 * when that fits in 63 and does not end as S3 reserves (`--x-s3`: a service named `x-s3`);
 * otherwise, prefix or not, the label is cut and a digest of it added after `---`: `{prefix}{label…}---{digest}`. No label holds `---` (names
 * have no `--` and neither end with a hyphen), so a cut name equals no uncut one, and two cut
 * ones are equal only if their 40-bit digests are (the unique bucket column refuses the second).
 */
export function bucketNameFor(userHash: string, projectName: string, serviceName: string, prefix = ''): string {
  const label = serviceHostFor(userHash, projectName, serviceName);
  const full = `${prefix}${label}`;
  if (full.length <= BUCKET_MAX && !RESERVED_SUFFIXES.some((end) => full.endsWith(end))) return full;
  const digest = bytesToHex(sha256(utf8ToBytes(label))).slice(0, BUCKET_DIGEST_LENGTH);
  const room = BUCKET_MAX - prefix.length - 3 - BUCKET_DIGEST_LENGTH;
  return `${prefix}${label.slice(0, room).replace(/-+$/, '')}---${digest}`;
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
