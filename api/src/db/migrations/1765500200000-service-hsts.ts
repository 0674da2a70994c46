import type { MigrationInterface, QueryRunner } from 'typeorm';

/** HSTS per service (issue 34): off for every service there is. */
export class ServiceHsts1765500200000 implements MigrationInterface {
  name = 'ServiceHsts1765500200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE services ADD COLUMN hsts boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE services DROP COLUMN hsts`);
  }
}
