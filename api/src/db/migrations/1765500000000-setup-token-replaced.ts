import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A re-run of the installer prints a new setup link: the older, unused ones are dead from
 * the moment the api sees the new one (replaced_at), and say so.
 */
export class SetupTokenReplaced1765500000000 implements MigrationInterface {
  name = 'SetupTokenReplaced1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE setup_tokens ADD COLUMN replaced_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE setup_tokens DROP COLUMN replaced_at`);
  }
}
