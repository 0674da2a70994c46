import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Monorepos (issue 37): a service's build context directory (relative to the repository
 * root, `.` for the root: what every service built with until now) and its watch paths
 * (gitignore-style patterns; none: every push builds, as until now). A push none of whose
 * changed files a service watches is recorded as a `skipped` delivery, with the reason.
 */
export class Monorepos1765360000000 implements MigrationInterface {
  name = 'Monorepos1765360000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE services
        ADD COLUMN context_dir varchar(255) NOT NULL DEFAULT '.',
        ADD COLUMN watch_paths text[] NOT NULL DEFAULT '{}'`);
    await q.query(`
      ALTER TABLE webhook_deliveries
        DROP CONSTRAINT webhook_deliveries_outcome_check,
        ADD CONSTRAINT webhook_deliveries_outcome_check CHECK (outcome IN ('deployed', 'skipped', 'ignored', 'ping', 'rejected'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM webhook_deliveries WHERE outcome = 'skipped'`);
    await q.query(`
      ALTER TABLE webhook_deliveries
        DROP CONSTRAINT webhook_deliveries_outcome_check,
        ADD CONSTRAINT webhook_deliveries_outcome_check CHECK (outcome IN ('deployed', 'ignored', 'ping', 'rejected'))`);
    await q.query(`ALTER TABLE services DROP COLUMN context_dir, DROP COLUMN watch_paths`);
  }
}
