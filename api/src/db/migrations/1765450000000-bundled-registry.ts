import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The bundled registry (REGISTRY_MODE=bundled): the platform is its token server. The
 * key it signs registry tokens with is made once and kept here, its private half
 * encrypted; robots are looked up by name when they ask for a token, so a name is
 * one tenant's only.
 */
export class BundledRegistry1765450000000 implements MigrationInterface {
  name = 'BundledRegistry1765450000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE registry_signing_keys (
        id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
        key_id text NOT NULL,
        private_key text NOT NULL,
        public_jwk jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX tenant_registries_robot_name ON tenant_registries (robot_name)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX tenant_registries_robot_name`);
    await q.query(`DROP TABLE registry_signing_keys`);
  }
}
