import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Previews (issue 35): the image a preview's last successful build pushed (`repo:sha@digest`),
 * which its Deployment runs; kept while a newer push builds, as a service's current image is.
 */
export class PreviewImages1765472000000 implements MigrationInterface {
  name = 'PreviewImages1765472000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE previews ADD COLUMN image varchar(1000)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE previews DROP COLUMN image`);
  }
}
