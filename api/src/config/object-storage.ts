import { z } from 'zod';
import { cidrSchema } from '@dangus/gitops-writer/input-schema';
import { bucketPrefixProblem } from '@dangus/common';

/**
 * The object-storage settings (README "Object storage"): an S3 endpoint and the admin
 * credentials of its IAM API. Unset endpoint: the platform offers no object storage.
 * Kept apart from schema.ts, which spreads {@link objectStorageEnv} into the one schema.
 */
const httpUrl = (name: string) =>
  z
    .string()
    .trim()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || (URL.canParse(v) && /^https?:$/.test(new URL(v).protocol)), `${name} must be an http(s) URL.`)
    .transform((v) => v?.replace(/\/+$/, ''))
    .optional();

const optional = z
  .string()
  .transform((v) => (v.trim() === '' ? undefined : v.trim()))
  .optional();

export const objectStorageEnv = {
  // The S3 API the platform manages buckets through (SeaweedFS's `weed s3`, AWS S3, Ceph RGW…).
  OBJECT_STORAGE_ENDPOINT: httpUrl('OBJECT_STORAGE_ENDPOINT'),
  // The IAM API (users, access keys, inline policies); SeaweedFS serves it on the S3 port.
  OBJECT_STORAGE_IAM_ENDPOINT: httpUrl('OBJECT_STORAGE_IAM_ENDPOINT'),
  // The S3 endpoint the apps are given (AWS_ENDPOINT_URL_S3): an in-cluster address, say.
  OBJECT_STORAGE_APP_ENDPOINT: httpUrl('OBJECT_STORAGE_APP_ENDPOINT'),
  OBJECT_STORAGE_REGION: z
    .string()
    .trim()
    .regex(/^[a-z0-9-]{1,32}$/, 'OBJECT_STORAGE_REGION is a region name, e.g. us-east-1.')
    .default('us-east-1'),
  // Begins every new bucket's name: AWS S3's names are global (README "Object storage").
  OBJECT_STORAGE_BUCKET_PREFIX: z
    .string()
    .trim()
    .default('')
    .superRefine((v, ctx) => {
      const problem = bucketPrefixProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: `OBJECT_STORAGE_BUCKET_PREFIX must be ${problem}` });
    }),
  OBJECT_STORAGE_ACCESS_KEY_ID: optional,
  OBJECT_STORAGE_SECRET_ACCESS_KEY: optional,
  // The app endpoint's address (a CIDR) where the tenants' egress policy denies it: their
  // apps may then reach it, on that endpoint's port (a NetworkPolicy of each tenant).
  OBJECT_STORAGE_EGRESS_CIDR: z
    .string()
    .trim()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || cidrSchema.safeParse(v).success, 'OBJECT_STORAGE_EGRESS_CIDR must be a CIDR such as 10.43.0.12/32.')
    .optional(),
  // Days a disabled or deleted service's bucket is kept before the controller deletes it.
  OBJECT_STORAGE_GRACE_DAYS: z.coerce.number().int().min(0).max(365).default(7),
  // Buckets a project may hold, kept ones included (0: no limit).
  MAX_BUCKETS_PER_PROJECT: z.coerce.number().int().min(0).default(5),
};

/** Rules between the object-storage settings, on the raw strings (see crossFieldProblems). */
export function objectStorageProblems(env: Record<string, string | undefined>): string[] {
  const set = (name: string) => (env[name] ?? '').trim() !== '';
  const problems: string[] = [];
  const keys = ['OBJECT_STORAGE_ACCESS_KEY_ID', 'OBJECT_STORAGE_SECRET_ACCESS_KEY'];
  if (set('OBJECT_STORAGE_ENDPOINT')) {
    for (const name of keys.filter((n) => !set(n))) {
      problems.push(`${name}: OBJECT_STORAGE_ENDPOINT is set, so set ${keys.join(' and ')} (an IAM admin that may create buckets, users and access keys).`);
    }
  } else {
    for (const name of ['OBJECT_STORAGE_IAM_ENDPOINT', 'OBJECT_STORAGE_APP_ENDPOINT', 'OBJECT_STORAGE_BUCKET_PREFIX', 'OBJECT_STORAGE_EGRESS_CIDR', ...keys].filter(set)) {
      problems.push(`${name}: set OBJECT_STORAGE_ENDPOINT too (the S3 endpoint), or leave ${name} out.`);
    }
  }
  return problems;
}

/**
 * What the tenants' apps may reach of the backend despite their egress policy: the CIDR
 * given and the app endpoint's port (its URL's, else 80 or 443); `null` without a CIDR or a
 * backend. The CIDR's form is checked where the renderer's settings are.
 */
export function objectStorageEgress(e: Pick<ObjectStorageEnv, 'OBJECT_STORAGE_EGRESS_CIDR' | 'OBJECT_STORAGE_APP_ENDPOINT' | 'OBJECT_STORAGE_ENDPOINT'>): { cidr: string; port: number } | null {
  const endpoint = e.OBJECT_STORAGE_APP_ENDPOINT ?? e.OBJECT_STORAGE_ENDPOINT;
  if (!e.OBJECT_STORAGE_EGRESS_CIDR || !endpoint) return null;
  const url = new URL(endpoint);
  return { cidr: e.OBJECT_STORAGE_EGRESS_CIDR, port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80 };
}

/** The object-storage backend as the code uses it; `null` when none is configured. */
export interface ObjectStorageSettings {
  endpoint: string;
  iamEndpoint: string;
  appEndpoint: string;
  region: string;
  /** Begins each new bucket's name ('' for none); a bucket keeps the name it was made with. */
  bucketPrefix: string;
  admin: { accessKeyId: string; secretAccessKey: string };
  graceDays: number;
  bucketsPerProject: number;
}

type ObjectStorageEnv = z.infer<z.ZodObject<typeof objectStorageEnv>>;

export function objectStorageSettings(e: ObjectStorageEnv): ObjectStorageSettings | null {
  if (!e.OBJECT_STORAGE_ENDPOINT || !e.OBJECT_STORAGE_ACCESS_KEY_ID || !e.OBJECT_STORAGE_SECRET_ACCESS_KEY) return null;
  return {
    endpoint: e.OBJECT_STORAGE_ENDPOINT,
    iamEndpoint: e.OBJECT_STORAGE_IAM_ENDPOINT ?? e.OBJECT_STORAGE_ENDPOINT,
    appEndpoint: e.OBJECT_STORAGE_APP_ENDPOINT ?? e.OBJECT_STORAGE_ENDPOINT,
    region: e.OBJECT_STORAGE_REGION,
    bucketPrefix: e.OBJECT_STORAGE_BUCKET_PREFIX,
    admin: { accessKeyId: e.OBJECT_STORAGE_ACCESS_KEY_ID, secretAccessKey: e.OBJECT_STORAGE_SECRET_ACCESS_KEY },
    graceDays: e.OBJECT_STORAGE_GRACE_DAYS,
    bucketsPerProject: e.MAX_BUCKETS_PER_PROJECT,
  };
}
