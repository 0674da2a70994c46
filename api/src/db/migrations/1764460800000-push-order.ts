import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The newest push a service accepted (`repository.pushed_at` of its payload, and
 * the commit it built), so that an older signed push re-sent with a new delivery
 * id is answered "stale push" instead of rolling the service back. A table of its
 * own: writing it on `services` would bump the owner's project-list version (a
 * trigger) and contend on their row at every push.
 */
export class PushOrder1764460800000 implements MigrationInterface {
  name = 'PushOrder1764460800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE service_push_order (
        service_id uuid PRIMARY KEY REFERENCES services (id) ON DELETE CASCADE,
        pushed_at bigint NOT NULL,
        commit_sha varchar(40) NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE service_push_order`);
  }
}
