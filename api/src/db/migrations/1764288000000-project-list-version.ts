import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `users.list_version` moves whenever anything shown in the user's project list
 * changes (a project or a service is added or removed). The api caches the
 * rendered list per user and serves it while the version it reads with the
 * session is unchanged: correct across replicas, one query per request.
 */
export class ProjectListVersion1764288000000 implements MigrationInterface {
  name = 'ProjectListVersion1764288000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN list_version bigint NOT NULL DEFAULT 0`);
    await q.query(`
      CREATE FUNCTION dangus_bump_list_version() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE users SET list_version = list_version + 1
         WHERE id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.user_id ELSE NEW.user_id END);
        RETURN NULL;
      END $$`);
    for (const table of ['projects', 'services']) {
      await q.query(`
        CREATE TRIGGER ${table}_bump_list_version AFTER INSERT OR DELETE OR UPDATE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION dangus_bump_list_version()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER services_bump_list_version ON services`);
    await q.query(`DROP TRIGGER projects_bump_list_version ON projects`);
    await q.query(`DROP FUNCTION dangus_bump_list_version()`);
    await q.query(`ALTER TABLE users DROP COLUMN list_version`);
  }
}
