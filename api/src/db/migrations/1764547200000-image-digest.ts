import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The digest of the image a build pushed (`sha256:…`, from Kaniko's termination
 * message). The Deployment references the image by it, and the release keeps it.
 */
export class ImageDigest1764547200000 implements MigrationInterface {
  name = 'ImageDigest1764547200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deployments ADD COLUMN image_digest varchar(71)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deployments DROP COLUMN image_digest`);
  }
}
