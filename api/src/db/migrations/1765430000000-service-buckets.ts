import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Object storage per service (README "Object storage"): one row per bucket the platform
 * made. Active while it has an access key (stored encrypted); disabled or its service
 * deleted, the key is revoked, `delete_after` is set and the row outlives the service
 * (service_id and project_id go NULL with them) until the leading controller deletes the
 * bucket, or its owner does ("delete now"). The bucket name is unique, and so one service
 * has at most one bucket.
 */
export class ServiceBuckets1765430000000 implements MigrationInterface {
  name = 'ServiceBuckets1765430000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE service_buckets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        project_id uuid REFERENCES projects(id) ON DELETE SET NULL,
        service_id uuid REFERENCES services(id) ON DELETE SET NULL,
        namespace text NOT NULL,
        service_name text NOT NULL,
        bucket text NOT NULL CONSTRAINT service_buckets_bucket_key UNIQUE,
        endpoint text NOT NULL,
        region text NOT NULL,
        access_key_id text,
        secret_access_key text,
        delete_after timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT service_buckets_key_or_expiry CHECK ((access_key_id IS NULL) = (delete_after IS NOT NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX service_buckets_service ON service_buckets (service_id) WHERE service_id IS NOT NULL`);
    await q.query(`CREATE INDEX service_buckets_project ON service_buckets (project_id)`);
    await q.query(`CREATE INDEX service_buckets_expiry ON service_buckets (delete_after) WHERE delete_after IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE service_buckets`);
  }
}
