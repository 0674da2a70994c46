import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * First-run setup: the one-time tokens the installer prints (only their SHA-256 is kept:
 * the installer hands the api the hash, never the token), each expiring and usable once.
 */
export class FirstRunSetup1765451000000 implements MigrationInterface {
  name = 'FirstRunSetup1765451000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE setup_tokens (
        token_hash char(64) PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        used_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE setup_tokens`);
  }
}
