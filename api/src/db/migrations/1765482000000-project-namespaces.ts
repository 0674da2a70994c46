import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A project's namespace pinned on its row (issue 36, moving projects): it was derived from
 * its owner's hash (`{hash}-{project}`), so a project moved to another owner would have
 * changed namespace, state-repo path, registry repository and volumes. Every existing
 * project gets the namespace the formula gives it today, and keeps it for life, whoever
 * owns it later; every reader of a project's namespace reads the column.
 */
export class ProjectNamespaces1765482000000 implements MigrationInterface {
  name = 'ProjectNamespaces1765482000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE projects ADD COLUMN namespace varchar(63)`);
    await q.query(`UPDATE projects p SET namespace = u.hash || '-' || p.name FROM users u WHERE u.id = p.user_id`);
    await q.query(`ALTER TABLE projects ALTER COLUMN namespace SET NOT NULL`);
    await q.query(`ALTER TABLE projects ADD CONSTRAINT projects_namespace_key UNIQUE (namespace)`);
    // A row inserted without one (a script, an older code path) gets today's formula, from its owner at insert.
    await q.query(`
      CREATE FUNCTION dangus_project_namespace() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.namespace := (SELECT hash FROM users WHERE id = NEW.user_id) || '-' || NEW.name;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER projects_namespace BEFORE INSERT ON projects
      FOR EACH ROW WHEN (NEW.namespace IS NULL) EXECUTE FUNCTION dangus_project_namespace()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER projects_namespace ON projects`);
    await q.query(`DROP FUNCTION dangus_project_namespace()`);
    await q.query(`ALTER TABLE projects DROP COLUMN namespace`);
  }
}
