import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Service names become unique per project, not per user: `staging/web` and `prod/web`
 * may both exist. The public host label is stored on the service at its creation
 * (`serviceHostFor` in common/src/names.ts: `{hash}-{project}--{service}`) and is the
 * only source of its address from then on. Every existing service keeps the host it has
 * today, `{hash}-{service}`, written here from its owner's hash; no new host can equal
 * one of those (new ones contain `--`), and the unique index refuses any that would.
 */
export class ServiceHosts1765330000000 implements MigrationInterface {
  name = 'ServiceHosts1765330000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE services ADD COLUMN host varchar(63)`);
    await q.query(`UPDATE services s SET host = u.hash || '-' || s.name FROM users u WHERE u.id = s.user_id`);
    await q.query(`ALTER TABLE services ALTER COLUMN host SET NOT NULL`);
    await q.query(`ALTER TABLE services ADD CONSTRAINT services_host_key UNIQUE (host)`);
    await q.query(`ALTER TABLE services ADD CONSTRAINT services_host_label CHECK (host ~ '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$')`);
    await q.query(`ALTER TABLE services DROP CONSTRAINT services_user_id_name_key`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Fails if one user has two services of one name: remove one first.
    await q.query(`ALTER TABLE services ADD CONSTRAINT services_user_id_name_key UNIQUE (user_id, name)`);
    await q.query(`ALTER TABLE services DROP COLUMN host`);
  }
}
