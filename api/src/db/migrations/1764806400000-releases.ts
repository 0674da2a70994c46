import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Releases: every deployment that rolls out records the configuration it ran with
 * (port, health check, storage) and its env values (each still encrypted, as in
 * env_vars), so it can be restored whole; a rollback is a deployment of its own
 * (`trigger = 'rollback'`, `rollback_of` the release it restores); an image deleted by
 * retention is marked so its release is shown as not restorable.
 */
export class Releases1764806400000 implements MigrationInterface {
  name = 'Releases1764806400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deployments DROP CONSTRAINT deployments_trigger_check`);
    await q.query(`
      ALTER TABLE deployments
        ADD CONSTRAINT deployments_trigger_check CHECK (trigger IN ('push', 'manual', 'config', 'rollback')),
        ADD COLUMN release_config jsonb,
        ADD COLUMN release_env jsonb,
        ADD COLUMN rollback_of uuid REFERENCES deployments(id) ON DELETE SET NULL,
        ADD COLUMN image_deleted_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM deployments WHERE trigger = 'rollback'`);
    await q.query(`ALTER TABLE deployments DROP CONSTRAINT deployments_trigger_check`);
    await q.query(`
      ALTER TABLE deployments
        ADD CONSTRAINT deployments_trigger_check CHECK (trigger IN ('push', 'manual', 'config')),
        DROP COLUMN release_config, DROP COLUMN release_env, DROP COLUMN rollback_of, DROP COLUMN image_deleted_at`);
  }
}
