import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `service_activity`: what was done to a service that is not an infrastructure change
 * (those are the state repo's commits, with their actor), such as an env value revealed
 * to its owner: who, what and when. Kept per service, newest first; gone with the service.
 */
export class ServiceActivity1765320000000 implements MigrationInterface {
  name = 'ServiceActivity1765320000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE service_activity (
        id bigserial PRIMARY KEY,
        service_id uuid NOT NULL REFERENCES services(id) ON DELETE CASCADE,
        actor_id uuid REFERENCES users(id) ON DELETE SET NULL,
        actor_login varchar(39) NOT NULL,
        action varchar(40) NOT NULL,
        subject text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX service_activity_service ON service_activity (service_id, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE service_activity`);
  }
}
