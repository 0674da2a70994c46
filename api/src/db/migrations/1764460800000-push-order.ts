import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The newest push a service accepted (`repository.pushed_at` of its payload, and
 * the commit it built), so that an older signed push re-sent with a new delivery
 * id is answered "stale push" instead of rolling the service back.
 */
export class PushOrder1764460800000 implements MigrationInterface {
  name = 'PushOrder1764460800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE services ADD COLUMN last_pushed_at bigint, ADD COLUMN last_pushed_sha varchar(40)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE services DROP COLUMN last_pushed_at, DROP COLUMN last_pushed_sha`);
  }
}
