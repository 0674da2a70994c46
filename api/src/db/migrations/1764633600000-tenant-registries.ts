import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each tenant's registry credential: the Harbor project of its images and the
 * robot account that alone may push and pull there (secret encrypted). Rows go
 * with their project; the platform deletes the robot and the Harbor project
 * before it deletes the project.
 */
export class TenantRegistries1764633600000 implements MigrationInterface {
  name = 'TenantRegistries1764633600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenant_registries (
        project_id uuid PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
        harbor_project varchar(255) NOT NULL,
        robot_id bigint NOT NULL,
        robot_name text NOT NULL,
        robot_secret text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE tenant_registries`);
  }
}
