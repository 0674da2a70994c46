import type { EntityManager, DataSource } from 'typeorm';
import type { Encryptor } from '../crypto/encryption.js';

export interface EnvPair {
  key: string;
  value: string;
}

/**
 * The object-storage variables of each service whose bucket is active, by service id:
 * what the env Secret gets besides the user's variables, and what the env revision covers
 * (so a key's rotation is a rollout). A secret that cannot be decrypted is an Error there.
 */
export async function bucketEnvOf(
  db: DataSource | EntityManager,
  encryptor: Encryptor,
  serviceIds: readonly string[],
): Promise<Map<string, EnvPair[] | Error>> {
  const byService = new Map<string, EnvPair[] | Error>();
  if (serviceIds.length === 0) return byService;
  const rows: { service_id: string; bucket: string; endpoint: string; region: string; access_key_id: string; secret_access_key: string }[] = await db.query(
    `SELECT service_id, bucket, endpoint, region, access_key_id, secret_access_key
       FROM service_buckets WHERE service_id = ANY($1::uuid[]) AND access_key_id IS NOT NULL`,
    [serviceIds],
  );
  for (const row of rows) {
    try {
      byService.set(row.service_id, [
        { key: 'AWS_ENDPOINT_URL_S3', value: row.endpoint },
        { key: 'AWS_ACCESS_KEY_ID', value: row.access_key_id },
        { key: 'AWS_SECRET_ACCESS_KEY', value: encryptor.decrypt(row.secret_access_key) },
        { key: 'AWS_REGION', value: row.region },
        { key: 'BUCKET_NAME', value: row.bucket },
        { key: 'AWS_S3_FORCE_PATH_STYLE', value: 'true' },
      ]);
    } catch (error) {
      byService.set(row.service_id, new Error(`the object-storage key of bucket ${row.bucket} cannot be decrypted`, { cause: error }));
    }
  }
  return byService;
}

/** The user's variables with the bucket's laid over them: the bucket's keys win (they must match the bucket). */
export function withBucketEnv(env: readonly EnvPair[], bucket: readonly EnvPair[] | undefined): EnvPair[] {
  if (!bucket || bucket.length === 0) return [...env];
  const taken = new Set(bucket.map((pair) => pair.key));
  return [...env.filter((pair) => !taken.has(pair.key)), ...bucket];
}
