import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Previews (issue 35): the short-lived registry credentials of single builds, in the bundled
 * registry mode (the platform is the token server). Each may push and pull exactly one
 * repository (and its `/cache`) until it expires or is revoked when its build ends; only the
 * SHA-256 of its secret is kept.
 */
export class BuildRegistryCredentials1765471000000 implements MigrationInterface {
  name = 'BuildRegistryCredentials1765471000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE build_registry_credentials (
        username varchar(100) PRIMARY KEY,
        secret_hash char(64) NOT NULL CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
        repository varchar(500) NOT NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX build_registry_credentials_expiry ON build_registry_credentials (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE build_registry_credentials`);
  }
}
