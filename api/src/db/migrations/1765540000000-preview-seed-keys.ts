import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Previews (issue 35): the service's env keys whose values a preview's own env Secret is
 * seeded from at each build (`previews.seedKeys`). Names only: the values stay in `env_vars`.
 */
export class PreviewSeedKeys1765540000000 implements MigrationInterface {
  name = 'PreviewSeedKeys1765540000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE services ADD COLUMN previews_seed_keys text[] NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE services DROP COLUMN previews_seed_keys`);
  }
}
